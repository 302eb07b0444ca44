/**
 * The platform page's charges after a failure (features/platform/charge-outcome.ts, used by use-charge.ts): whether the
 * outcome is unknown (say so, and retry with the same Idempotency-Key) or known (a new try is a
 * new request). A definite 502 "VAPI could not start the call" kept the key before, so every
 * retry replayed the stored 502; a 409 "still starting this call" dropped it, so the next click
 * started a second call.
 */
import { describe, expect, it } from 'vitest';
import { keepsKey, outcomeUnknown } from '../../src/web/features/platform/charge-outcome.js';

/** The API client's error, as it reaches the page (src/web/api/client.ts ApiError). */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

describe('a charge that failed', () => {
  it('is unknown when its answer was lost or the server failed mid-way, known when it was refused', () => {
    expect(outcomeUnknown(new ApiError(0, 'network_error', 'offline'))).toBe(true);
    expect(outcomeUnknown(new ApiError(500, 'internal_error', 'x'))).toBe(true);
    expect(outcomeUnknown(new ApiError(502, 'bad_gateway', 'VAPI did not confirm', { callId: 'c1', status: 'queued' }))).toBe(true);
    expect(outcomeUnknown(new ApiError(502, 'bad_gateway', 'VAPI could not start the call; nothing was charged.'))).toBe(false);
    expect(outcomeUnknown(new ApiError(503, 'overloaded', 'busy'))).toBe(false);
    expect(outcomeUnknown(new ApiError(503, 'database_unavailable', 'db'))).toBe(false);
    expect(outcomeUnknown(new ApiError(402, 'insufficient_credits', 'x'))).toBe(false);
    expect(outcomeUnknown(new Error('x'))).toBe(false);
  });

  it('keeps its key for the next try while the first request with it may still be running', () => {
    expect(keepsKey(new ApiError(409, 'idempotency_conflict', 'still starting this call'))).toBe(true);
    expect(keepsKey(new ApiError(0, 'network_error', 'offline'))).toBe(true);
    expect(keepsKey(new ApiError(409, 'conflict', 'already ended'))).toBe(false);
    expect(keepsKey(new ApiError(502, 'bad_gateway', 'VAPI could not start the call; nothing was charged.'))).toBe(false);
  });
});
