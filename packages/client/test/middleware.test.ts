/**
 * The quantity requireCredits captures for what a handler set (both middlewares share it):
 * rounded up to 3 decimals on its decimal digits, never with float arithmetic; a string of
 * plain decimals read the same way; anything else an Error naming the value.
 */
import { describe, expect, it } from 'vitest';
import { capturedQuantity } from '../src/middleware.js';

describe('capturedQuantity', () => {
  it('rounds a number up to 3 decimals without float drift, and keeps integers', () => {
    expect(capturedQuantity(30.1234)).toBe(30.124);
    expect(capturedQuantity(1e-7)).toBe(0.001);
    expect(capturedQuantity(0.0011)).toBe(0.002);
    expect(capturedQuantity(1.0001)).toBe(1.001);
    // 0.30000000000000004 and 3.3000000000000003: float noise, not a quantity above 0.3 or 3.3.
    expect(capturedQuantity(0.1 + 0.2)).toBe(0.3);
    expect(capturedQuantity(1.1 * 3)).toBe(3.3);
    expect(capturedQuantity(1.1)).toBe(1.1); // 1.1 * 1000 is 1100.0000000000002
    expect(capturedQuantity(90.5)).toBe(90.5);
    expect(capturedQuantity(999_999_999.9991)).toBe(1_000_000_000);
    for (const n of [0, 1, 30, 600, 123_456_789_012]) expect(capturedQuantity(n)).toBe(n);
  });

  it('reads a string of plain decimals the same way', () => {
    expect(capturedQuantity('30')).toBe(30);
    expect(capturedQuantity('90.5')).toBe(90.5);
    expect(capturedQuantity('30.1234')).toBe(30.124);
    expect(capturedQuantity('0.0000001')).toBe(0.001);
    expect(capturedQuantity('007.500')).toBe(7.5);
  });

  it('is an Error naming anything else', () => {
    const bad: [unknown, string][] = [
      [Number.NaN, 'NaN'],
      [-1, '-1'],
      [-0.001, '-0.001'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [1e20, '100000000000000000000'],
      ['abc', '"abc"'],
      ['-1', '"-1"'],
      ['', '""'],
      [' 5', '" 5"'],
      ['1e3', '"1e3"'],
      ['.5', '".5"'],
      [null, 'null'],
      [true, 'true'],
      [{ seconds: 30 }, '{"seconds":30}'],
      [[30], '[30]'],
    ];
    for (const [value, named] of bad) {
      const err = capturedQuantity(value);
      expect(err, named).toBeInstanceOf(Error);
      expect((err as Error).message).toContain(`creditsQuantity to ${named},`);
    }
  });
});
