/**
 * What a failed charge of the platform page means for the next try (use-charge.ts). Read from
 * the error's HTTP status and code alone (an ApiError, or anything shaped like one), so it is
 * tested without the API client.
 */
interface Failure {
  status: number;
  code: string;
  details?: Record<string, unknown> | undefined;
}

const failure = (e: unknown): Failure | null =>
  e instanceof Error && typeof (e as Partial<Failure>).status === 'number' && typeof (e as Partial<Failure>).code === 'string'
    ? (e as unknown as Failure)
    : null;

/** 503 codes the service answers before doing anything. */
const NOTHING_DONE = new Set(['overloaded', 'database_unavailable']);

/**
 * Whether a failed request may still have been carried out: its answer never arrived, or the
 * server failed mid-way. A 502 `bad_gateway` is a final "VAPI could not start the call; nothing
 * was charged" unless it names the call (VAPI did not confirm it: it may have been placed).
 */
export function outcomeUnknown(e: unknown): boolean {
  const f = failure(e);
  if (!f) return false;
  if (f.status === 0) return f.code === 'network_error';
  if (f.code === 'bad_gateway') return typeof f.details?.callId === 'string';
  return f.status >= 500 && !(f.status === 503 && NOTHING_DONE.has(f.code));
}

/** Whether a retry must carry the same key: the outcome is unknown, or the first request with it is still running (409). */
export function keepsKey(e: unknown): boolean {
  const f = failure(e);
  return outcomeUnknown(e) || (f !== null && f.status === 409 && f.code === 'idempotency_conflict');
}
