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
   * (`res.locals.creditsQuantity` in Express, `request.creditsQuantity` in Fastify);
   * a capture charges at most what was reserved.
   */
  quantity: Value<Req, number>;
  /** How long the hold may last (default: the service's, 900 s). */
  ttlSeconds?: number;
  /** Kept with the charge in the customer's history. */
  metadata?: Value<Req, Metadata | undefined>;
  /** Told when a capture or release after the response fails (the hold then expires on its own, charging nothing). Default: console.error. */
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

/** After the response: capture the used quantity when it succeeded (status below 400), else release. */
export async function settle<Req>(
  opts: RequireCreditsOptions<Req>,
  req: Req,
  reserved: Reserved,
  succeeded: boolean,
  usedQuantity: unknown,
): Promise<void> {
  try {
    if (succeeded) {
      const quantity =
        typeof usedQuantity === 'number' && Number.isFinite(usedQuantity) && usedQuantity >= 0 ? usedQuantity : reserved.quantity;
      await reserved.hold.capture({ quantity, ...(reserved.metadata ? { metadata: reserved.metadata } : {}) });
    } else {
      await reserved.hold.release();
    }
  } catch (e) {
    (opts.onSettleError ?? defaultSettleError)(e, req);
  }
}

function defaultSettleError(err: unknown): void {
  console.error('[@credit-billing/client] settling a hold failed; it will expire and charge nothing:', err);
}
