/**
 * Exact money. Credits live as integer millicredits (1 credit = 1000 mc), money as
 * integer cents. Conversion from the decimal numbers of the HTTP contract happens
 * only here, through the number's shortest decimal text, so no float rounding ever
 * reaches a balance. Part of the contract (it imports nothing), so core, the server and
 * the dashboard share one definition.
 */

export type Millicredits = number;
export type Cents = number;

export const MC_PER_CREDIT = 1000;
/** The contract's bound: an amount beyond 1,000,000,000 credits either way is refused. */
export const MAX_CREDITS = 1_000_000_000;
export const MAX_MC = MAX_CREDITS * MC_PER_CREDIT;

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal (number or string) with at most 3 decimals into an integer of
 * thousandths. Returns null for anything else: NaN, Infinity, exponent forms beyond
 * precision, more than 3 decimals.
 */
export function parseThousandths(value: number | string): number | null {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  let text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  if (text === null) return null;
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const [, sign, whole = '0', frac = ''] = m;
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length > 3) return null;
  text = whole.replace(/^0+(?=\d)/, '');
  if (text.length > 16) return null;
  const n = Number(text) * 1000 + Number(trimmed.padEnd(3, '0') || '0');
  if (!Number.isSafeInteger(n)) return null;
  return sign && n !== 0 ? -n : n;
}

/** A JS number as plain decimal text (no exponent), or null when it cannot be exact. */
function numberToPlainString(n: number): string | null {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // Exponent form: tiny numbers (1e-7) have too many decimals; huge ones are out of range anyway.
  return null;
}

/** Credits (decimal) to millicredits; null when not a valid amount of the contract. */
export function creditsToMc(value: number | string): Millicredits | null {
  const mc = parseThousandths(value);
  if (mc === null || Math.abs(mc) > MAX_MC) return null;
  return mc;
}

/** Millicredits to the contract's credits number (exact: at most 3 decimals). */
export function mcToCredits(mc: Millicredits): number {
  return mc / MC_PER_CREDIT;
}

/** Millicredits as text for people: up to 3 decimals, trailing zeros dropped (550, 549.9, 0.375). */
export function formatCredits(mc: Millicredits): string {
  const sign = mc < 0 ? '-' : '';
  const abs = Math.abs(mc);
  const whole = Math.trunc(abs / 1000);
  const frac = String(abs % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return frac ? `${sign}${whole}.${frac}` : `${sign}${whole}`;
}

/** Cents as $45.00. */
export function formatCents(cents: Cents, currency = 'usd'): string {
  const symbol = currency.toLowerCase() === 'usd' ? '$' : `${currency.toUpperCase()} `;
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${symbol}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Units of the metering table: what the quantity counts and how many make one priced unit. */
export const UNITS = {
  per_call: 1,
  per_message: 1,
  per_execution: 1,
  per_document: 1,
  per_candidate: 1,
  per_post: 1,
  per_search: 1,
  per_export: 1,
  per_step: 1,
  per_minute: 60,
  per_mb: 1_048_576,
  per_1k_tokens: 1000,
} as const;

export type Unit = keyof typeof UNITS;
export const UNIT_NAMES = Object.keys(UNITS) as Unit[];

export function isUnit(u: string): u is Unit {
  return Object.hasOwn(UNITS, u);
}

/**
 * cost = ceil(rule mc x quantity / base per unit), exact. `quantityMilli` is the base
 * quantity in thousandths (61 s = 61000), so the division is by base x 1000.
 */
export function computeCostMc(ruleMc: Millicredits, quantityMilli: number, unit: Unit): Millicredits {
  if (ruleMc < 0 || quantityMilli < 0) throw new RangeError('negative price or quantity');
  const num = BigInt(ruleMc) * BigInt(quantityMilli);
  const den = BigInt(UNITS[unit]) * 1000n;
  const q = num / den;
  const cost = num % den === 0n ? q : q + 1n;
  return Number(cost);
}

/** The largest base quantity (thousandths) whose cost fits in `budgetMc`. */
export function maxQuantityFor(ruleMc: Millicredits, budgetMc: Millicredits, unit: Unit): number {
  if (budgetMc <= 0) return 0;
  if (ruleMc === 0) return Number.MAX_SAFE_INTEGER;
  // cost(q) <= budget  <=>  ceil(r q / d) <= b  <=>  r q <= b d  <=>  q <= floor(b d / r)
  const d = BigInt(UNITS[unit]) * 1000n;
  return Number((BigInt(budgetMc) * d) / BigInt(ruleMc));
}

/**
 * A price typed in whole units of money ("45", "45.5", "45.50") as integer cents, read as
 * text: no float, so "12.345" is refused rather than rounded to 1235 unseen. Null for
 * anything that is not digits with at most 2 decimals.
 */
export function priceTextToCents(text: string): Cents | null {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}
