import { operationName, unitInWords } from '../../contracts/units.js';

const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** Credits with up to 3 decimals, no trailing zeros and digits grouped: 550, 1,807.045, 0.375. */
export function formatCredits(n: number | null | undefined): string {
  const plain = formatCreditsPlain(n);
  return plain === '0' ? plain : GROUPED.format(Number(plain));
}

/**
 * Credits as a bare number (549.9, 5000): only for the header's "Credit balance" element,
 * whose text shared/UI.md fixes as the number itself; everywhere else reads formatCredits.
 */
export function formatCreditsPlain(n: number | null | undefined): string {
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

/** A moment's time of day in the viewer's locale: "7:14:09 PM". */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

export function formatBucket(iso: string, granularity: 'day' | 'hour'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return granularity === 'hour'
    ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** A key in words: "file_upload" -> "File upload"; operations by their one name ("vapi_call" -> "Voice call"). */
export function humanize(s: string): string {
  return operationName(s);
}

/** A unit in words: "per_mb" -> "per MB". */
export function unitLabel(unit: string): string {
  return unitInWords(unit);
}

/** A size in bytes as a person reads it: "1.5 MB", "12 KB", "512 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_048_576) return `${formatCredits(bytes / 1_048_576)} MB`;
  if (bytes >= 1024) return `${formatCredits(bytes / 1024)} KB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/**
 * A usage's `quantity`, which is in its unit's base quantity (API.md: seconds for per_minute,
 * bytes for per_mb, tokens for per_1k_tokens, else a count), in words: "1.5 MB", "2,500 tokens",
 * "1 min 30 s", "3 × per message"; never the base quantity read as a count of units.
 */
export function quantityText(quantity: number, unit: string): string {
  if (unit === 'per_mb') return formatBytes(quantity);
  if (unit === 'per_1k_tokens') return `${formatCredits(quantity)} ${quantity === 1 ? 'token' : 'tokens'}`;
  if (unit === 'per_minute') return formatDuration(quantity);
  return `${formatCredits(quantity)} × ${unitLabel(unit)}`;
}

/** A call's length as a person says it: 695 -> "11 min 35 s", 42.5 -> "42.5 s", 3600 -> "60 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 60) return `${Number.isFinite(seconds) ? Math.round(seconds * 1000) / 1000 : 0} s`;
  const min = Math.floor(seconds / 60);
  const rest = Math.round((seconds - min * 60) * 1000) / 1000;
  return rest > 0 ? `${min} min ${rest} s` : `${min} min`;
}
