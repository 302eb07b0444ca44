import { invalid } from './errors.js';

const DAY_MS = 86_400_000;

/**
 * A time range's ends in order, on every route that takes `from` (inclusive) and `to`
 * (exclusive), as Unix ms: `from` after `to` is 400, not an empty answer. A date-only `to`
 * includes its day, so it arrives as the next UTC midnight: a `from` at that midnight is the
 * day after it, refused too (`from=2026-03-02&to=2026-03-01`). Either end absent: nothing to check.
 */
export function checkRangeOrder(from: number | undefined, to: number | undefined): void {
  if (from === undefined || to === undefined) return;
  if (from > to || (from === to && to % DAY_MS === 0)) {
    throw invalid('`from` must not be after `to`.', { fields: [{ path: 'from', message: 'after to' }] });
  }
}
