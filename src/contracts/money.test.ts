import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeCostMc, creditsToMc, formatCents, formatCredits, maxQuantityFor, parseThousandths, priceTextToCents } from './money.js';

describe('money', () => {
  it('parses credits with at most 3 decimals exactly', () => {
    expect(creditsToMc(0.1)).toBe(100);
    expect(creditsToMc(12.345)).toBe(12345);
    expect(creditsToMc(-0.75)).toBe(-750);
    expect(creditsToMc('549.9')).toBe(549900);
    expect(creditsToMc(1_000_000_000)).toBe(1_000_000_000_000);
  });

  it('refuses over-precise, non-finite and out-of-range amounts', () => {
    expect(creditsToMc(0.0001)).toBeNull();
    expect(creditsToMc(1e-7)).toBeNull();
    expect(creditsToMc(Number.NaN)).toBeNull();
    expect(creditsToMc(Number.POSITIVE_INFINITY)).toBeNull();
    expect(creditsToMc(1_000_000_000.001)).toBeNull();
    expect(creditsToMc(-1_000_000_001)).toBeNull();
    expect(parseThousandths('1.2.3')).toBeNull();
  });

  it('rounds costs up to the millicredit, exactly', () => {
    // 61 s at 0.50 per minute is 0.509 credits.
    expect(computeCostMc(500, 61_000, 'per_minute')).toBe(509);
    // 1.5 MiB at 0.25 per MB is 0.375 credits.
    expect(computeCostMc(250, 1_572_864_000, 'per_mb')).toBe(375);
    // 90.5 s at 0.50 per minute: ceil(500 x 90.5 / 60) = 755.
    expect(computeCostMc(500, 90_500, 'per_minute')).toBe(755);
    expect(computeCostMc(100, 1000, 'per_message')).toBe(100);
    expect(computeCostMc(20, 1_500_000, 'per_1k_tokens')).toBe(30);
    expect(computeCostMc(500, 0, 'per_minute')).toBe(0);
  });

  it('cost agrees with exact rational arithmetic (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 1e12 }), (rule, q) => {
        const cost = computeCostMc(rule, q, 'per_minute');
        const den = 60_000;
        // cost is the least integer with cost * den >= rule * q
        expect(BigInt(cost) * BigInt(den) >= BigInt(rule) * BigInt(q)).toBe(true);
        expect(cost === 0 || BigInt(cost - 1) * BigInt(den) < BigInt(rule) * BigInt(q)).toBe(true);
      }),
    );
  });

  it('finds the largest affordable quantity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 1e9 }), (rule, budget) => {
        const q = maxQuantityFor(rule, budget, 'per_minute');
        expect(computeCostMc(rule, q, 'per_minute')).toBeLessThanOrEqual(budget);
        expect(computeCostMc(rule, q + 1, 'per_minute')).toBeGreaterThan(budget);
      }),
    );
  });

  it('formats for people', () => {
    expect(formatCredits(550_000)).toBe('550');
    expect(formatCredits(549_900)).toBe('549.9');
    expect(formatCredits(375)).toBe('0.375');
    expect(formatCredits(-1_500)).toBe('-1.5');
    expect(formatCents(4500)).toBe('$45.00');
    expect(formatCents(5)).toBe('$0.05');
  });
});

describe('a typed price', () => {
  it('is read as exact cents, and anything but digits with at most 2 decimals is refused', () => {
    expect(['45', '45.5', '45.50', ' 0.5 ', '1000000.00'].map(priceTextToCents)).toEqual([4500, 4550, 4550, 50, 100_000_000]);
    for (const bad of ['', '12.345', '-1', '1e3', '4,50', '.5', '45.', 'abc']) expect(priceTextToCents(bad), bad).toBeNull();
  });

  it('gives back the cents a price was written from', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000_000 }), (c) => priceTextToCents(formatCents(c).replace(/[$,]/g, '')) === c));
  });
});
