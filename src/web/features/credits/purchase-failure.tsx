/**
 * What a purchase that failed did with the money, said only as far as it is known:
 * "You were not charged" when the request never left the device (offline), when the server
 * refused it before charging (a 4xx, or a 503 that writes nothing), or when the card is
 * charged only later in Stripe's card form; otherwise (the connection failed after the
 * request may have arrived, or the server failed mid-way) we cannot tell, and say so.
 */
import { ApiError } from '../../api/client';

export type PurchaseFailure = { charged: 'no'; why: string } | { charged: 'unknown'; why: string };

/** Codes of a 503 that the service answers before writing anything. */
const NOTHING_WRITTEN = new Set(['payments_unavailable', 'overloaded']);

export function purchaseFailure(error: unknown, provider: string | undefined, offline: boolean): PurchaseFailure {
  const status = error instanceof ApiError ? error.status : 0;
  const refused = error instanceof ApiError && error.code !== 'network_error' && error.code !== 'http_error';
  if (offline && status === 0) return { charged: 'no', why: 'Your device was offline, so the purchase was never sent.' };
  if (refused && status >= 400 && status < 500)
    return { charged: 'no', why: `The server refused the purchase: ${(error as ApiError).message}` };
  if (refused && status === 503 && NOTHING_WRITTEN.has((error as ApiError).code)) {
    return { charged: 'no', why: `The server could not take the purchase: ${(error as ApiError).message}` };
  }
  if (provider === 'stripe') {
    return { charged: 'no', why: 'Your card is charged only in the card form, which had not opened yet.' };
  }
  return {
    charged: 'unknown',
    why:
      status === 0
        ? 'The connection failed before the server answered, so we cannot tell whether the purchase went through.'
        : `The server failed while handling the purchase (${status}), so we cannot tell whether it went through.`,
  };
}
