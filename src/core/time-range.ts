import { invalid } from './errors.js';

/**
 * A time range's ends in order, on every route that takes `from` (inclusive) and `to`
 * (exclusive), as Unix ms: `from` at or after `to` is 400, not an empty answer (the
 * liability's rule, now every route's). A date-only `to` arrives as the next UTC midnight (it
 * includes its day), so `from=2026-03-02&to=2026-03-01` is refused and
 * `from=2026-03-01&to=2026-03-01` is all of 1 March. Either end absent: nothing to check.
 */
export function checkRangeOrder(from: number | undefined, to: number | undefined): void {
  if (from === undefined || to === undefined || from < to) return;
  throw invalid('`from` must be before `to`.', { fields: [{ path: 'query.from', field: 'from', message: 'must be before to' }] });
}
