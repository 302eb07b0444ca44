/** Dates of the contract: ISO-8601, and a day that exists (never rolled over into the next month). */
import { describe, expect, it } from 'vitest';
import { isoDate, isoDateEnd } from './common.js';

describe('an ISO-8601 date parameter', () => {
  it('takes a day that exists, any year from 0001, and refuses one that does not', () => {
    for (const ok of ['2028-02-29', '0001-01-01', '0099-12-31', '2026-12-31T23:59:59.999Z', '2026-11-30 10:00']) {
      expect(isoDate.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of ['2026-02-29', '2026-02-30', '2026-11-31', '2026-13-01', '2026-00-10', '2026-02-29T10:00:00Z', 'yesterday']) {
      expect(isoDate.safeParse(bad).success, bad).toBe(false);
    }
    expect(isoDate.parse('0001-01-01')).toBe(Date.parse('0001-01-01'));
    expect(isoDateEnd.parse('2026-12-01')).toBe(Date.parse('2026-12-02'));
  });
});
