import type { CreditsClient, Hold } from './client.js';
import { type ApiErrorBody, CreditsApiError } from './errors.js';
import type { HoldInput, Metadata } from './types.js';

type Value<Req, T> = T | ((req: Req) => T | Promise<T>);

export interface RequireCreditsOptions<Req = any> {
  client: CreditsClient;
  /** The customer's external id, or how to read it from the request. */
  customer: Value<Req, string>;
  /** For an organisation: the member (their external id) who causes the charge. */
  member?: Value<Req, string | undefined>;
  operation: string;
  unit: HoldInput['unit'];
  /**
   * The quantity to reserve (the unit's base quantity), or how to read it from the request.
   * Also what is captured unless the handler sets the actual quantity
   * (`res.locals.creditsQuantity` in Express, `request.creditsQuantity` in Fastify): a
   * non-negative number, or a string of one in plain decimals ("30", "90.5", as read from a
   * header or a query), rounded up to 3 decimals (the API's precision: 30.1234 is 30.124).
   * Anything else it is set to (NaN, a negative, Infinity, "abc", null, an object) releases
   * the hold, charging nothing, and is reported to `onSettleError`. A capture charges at
   * most what was reserved.
   */
  quantity: Value<Req, number>;
  /** How long the hold may last (default: the service's, 900 s). */
  ttlSeconds?: number;
  /** Kept with the charge in the customer's history. */
  metadata?: Value<Req, Metadata | undefined>;
  /**
   * Told when a capture or release after the response fails (the hold then expires on its own,
   * charging nothing), and when the handler set a quantity that is not one (the hold is then
   * released, charging nothing). Default: console.error.
   */
  onSettleError?: (err: unknown, req: Req) => void;
}

export interface Reserved {
  hold: Hold;
  quantity: number;
  metadata: Metadata | undefined;
}

async function value<Req, T>(v: Value<Req, T>, req: Req): Promise<T> {
  return typeof v === 'function' ? (v as (r: Req) => T | Promise<T>)(req) : v;
}

/** Reserves before the handler: the hold, or the 402 body to answer when the customer cannot afford it. */
export async function reserve<Req>(opts: RequireCreditsOptions<Req>, req: Req): Promise<Reserved | { status: 402; body: ApiErrorBody }> {
  const [customer, member, quantity, metadata] = await Promise.all([
    value(opts.customer, req),
    opts.member === undefined ? undefined : value(opts.member, req),
    value(opts.quantity, req),
    opts.metadata === undefined ? undefined : value(opts.metadata, req),
  ]);
  try {
    const hold = await opts.client.hold({
      customer,
      ...(member !== undefined ? { member } : {}),
      operation: opts.operation,
      unit: opts.unit,
      quantity,
      ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
    });
    return { hold, quantity, metadata };
  } catch (e) {
    // Unaffordable (insufficient credits, or a member's monthly limit): the contract's 402, as the service said it.
    if (e instanceof CreditsApiError && e.status === 402) return { status: 402, body: e.body };
    throw e;
  }
}

/**
 * After the response: capture the used quantity when it succeeded (status below 400), else
 * release. When the handler set a used quantity that is not one, the hold is released and
 * the error is reported after the release.
 */
export async function settle<Req>(
  opts: RequireCreditsOptions<Req>,
  req: Req,
  reserved: Reserved,
  succeeded: boolean,
  usedQuantity: unknown,
): Promise<void> {
  const report = opts.onSettleError ?? defaultSettleError;
  const quantity = !succeeded ? undefined : usedQuantity === undefined ? reserved.quantity : capturedQuantity(usedQuantity);
  try {
    if (typeof quantity === 'number') {
      await reserved.hold.capture({ quantity, ...(reserved.metadata ? { metadata: reserved.metadata } : {}) });
    } else {
      await reserved.hold.release();
    }
  } catch (e) {
    report(e, req);
  }
  if (quantity instanceof Error) report(quantity, req);
}

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * The quantity to capture for what a handler set: a finite non-negative number, or a string
 * of one in plain decimals, rounded up to 3 decimals on its decimal digits, not with float
 * arithmetic (30.1234 is 30.124, 1e-7 is 0.001, 0.1 + 0.2 is 0.3, integers stay as they
 * are); for anything else, an Error naming the value.
 */
export function capturedQuantity(used: unknown): number | Error {
  let thousandths: number | null = null;
  if (typeof used === 'number' && Number.isFinite(used) && used >= 0) {
    // Its first 15 significant digits: what the handler meant, without the float drift in the
    // last ones (0.1 + 0.2 is 0.30000000000000004); a decimal of up to 15 digits comes back exact.
    const [mantissa = '', exponent = ''] = used.toExponential(14).split('e');
    thousandths = roundUpThousandths(mantissa.replace('.', ''), Number(exponent) + 1);
  } else if (typeof used === 'string') {
    const m = PLAIN_DECIMAL.exec(used);
    if (m) thousandths = roundUpThousandths((m[1] as string) + (m[2] ?? ''), (m[1] as string).length);
  }
  if (thousandths !== null && Number.isSafeInteger(thousandths)) return thousandths / 1000;
  const what = thousandths === null ? 'not a non-negative number or a string of one in plain decimals' : 'more than the service can take';
  return new Error(`requireCredits: the handler set creditsQuantity to ${shown(used)}, ${what}; the hold was released, charging nothing`);
}

/**
 * Whole thousandths, rounded up, of `digits` with the decimal point after the first `point`
 * of them (`point` may be negative or past the end).
 */
function roundUpThousandths(digits: string, point: number): number {
  const cut = point + 3;
  const kept = cut <= 0 ? '0' : digits.slice(0, cut).padEnd(cut, '0');
  return Number(kept) + (/[1-9]/.test(digits.slice(Math.max(cut, 0))) ? 1 : 0);
}

/** The value as an error message names it: strings quoted, objects as JSON, cut at 60 characters. */
function shown(v: unknown): string {
  let text: string | undefined;
  if (typeof v === 'string') text = JSON.stringify(v);
  else if (typeof v === 'bigint') text = `${v}n`;
  else if (typeof v !== 'object' || v === null) text = String(v);
  else {
    try {
      text = JSON.stringify(v);
    } catch {}
    text ??= Object.prototype.toString.call(v);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function defaultSettleError(err: unknown): void {
  console.error('[@credit-billing/client] settling a hold after the response:', err);
}
