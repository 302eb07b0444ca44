import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('isoTime', () => {
  it('writes what toISOString writes for any millisecond from 1970 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        expect(isoTime(ms)).toBe(iso(ms));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gets the edges of days, months, leap years and centuries right', () => {
    const edges = [
      0,
      -0,
      Date.UTC(1972, 1, 29),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12),
      Date.UTC(2000, 2, 1),
      Date.UTC(2100, 1, 28, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1),
      Date.UTC(2400, 1, 29),
      Date.UTC(2026, 11, 5, 1, 2, 3, 4),
      253_402_300_799_999,
    ];
    for (const ms of edges) for (const d of [-1, 0, 1]) expect(isoTime(ms + d)).toBe(iso(ms + d));
  });

  it('leaves other values to toISOString: before 1970, year 10000 on, fractions, and what it refuses', () => {
    for (const ms of [-1, -86_400_001, -62_198_755_200_000, 253_402_300_800_000, 8.64e15, 1.5, 1_764_000_000_000.25]) {
      expect(isoTime(ms)).toBe(iso(ms));
    }
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
