/** Credits with up to 3 decimals and no trailing zeros: 550, 549.9, 0.375. */
export function formatCredits(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '0';
  const rounded = Math.round(n * 1000) / 1000;
  if (Object.is(rounded, -0) || rounded === 0) return '0';
  return rounded.toFixed(3).replace(/\.?0+$/, '');
}

/** "1 credit", "0.1 credits", "550 credits". */
export function creditsText(n: number): string {
  const s = formatCredits(n);
  return `${s} ${s === '1' ? 'credit' : 'credits'}`;
}

/** Credits with a sign, for ledger amounts: +550, -0.1. */
export function formatSignedCredits(n: number): string {
  const s = formatCredits(n);
  return n > 0 ? `+${s}` : s;
}

/** Credits with thousands separators for large display numbers (still up to 3 decimals). */
export function formatCreditsGrouped(n: number): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 }).format(Math.round(n * 1000) / 1000);
}

/** Integer minor units to money: 4500 -> $45.00. */
export function formatMoney(cents: number, currency = 'usd'): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100);
  } catch {
    return `$${(cents / 100).toFixed(2)}`;
  }
}

export function formatDate(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function formatBucket(iso: string, granularity: 'day' | 'hour'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return granularity === 'hour'
    ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

const WORDS: Record<string, string> = {
  vapi_call: 'Voice call',
  ai_interview: 'AI interview',
  llm_tokens: 'LLM tokens',
  sms: 'SMS',
  super_admin: 'Super admin',
};

/** "file_upload" -> "File upload"; a few names read better spelled out ("vapi_call" -> "Voice call"). */
export function humanize(s: string): string {
  const known = WORDS[s];
  if (known) return known;
  const t = s.replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export function unitLabel(unit: string): string {
  return unit.replace(/_/g, ' ').replace(/^per 1k/, 'per 1k');
}
