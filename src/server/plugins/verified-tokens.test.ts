import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from './verified-tokens.js';

describe('VerifiedTokens', () => {
  const token = (payload: string, sig = 'c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0xMjM0NTY3ODkwYWJj') => `eyJhbGciOiJIUzI1NiJ9.${payload}.${sig}`;

  it('answers only for the exact token: another with the same signature is not remembered', () => {
    const cache = new VerifiedTokens<{ exp: number; sub: string }>(10);
    cache.set(token('e30'), { exp: 200, sub: 'a' });
    expect(cache.get(token('e30'), 100)).toEqual({ exp: 200, sub: 'a' });
    expect(cache.get(token('eyJ4IjoxfQ'), 100)).toBeUndefined();
    expect(cache.get(token('e30', 'other'), 100)).toBeUndefined();
    // The forged one, had it verified, would take the slot; the first is then verified afresh.
    cache.set(token('eyJ4IjoxfQ'), { exp: 200, sub: 'b' });
    expect(cache.get(token('e30'), 100)).toBeUndefined();
    expect(cache.get(token('eyJ4IjoxfQ'), 100)).toEqual({ exp: 200, sub: 'b' });
  });

  it('says expired once, at exp (plus the tolerance), and then forgets the token', () => {
    const strict = new VerifiedTokens<{ exp: number }>(10);
    strict.set(token('e30'), { exp: 200 });
    expect(strict.get(token('e30'), 199)).toEqual({ exp: 200 });
    expect(strict.get(token('e30'), 200)).toBe('expired');
    expect(strict.get(token('e30'), 200)).toBeUndefined();
    const tolerant = new VerifiedTokens<{ exp: number }>(10, 30);
    tolerant.set(token('e30'), { exp: 200 });
    expect(tolerant.get(token('e30'), 229)).toEqual({ exp: 200 });
    expect(tolerant.get(token('e30'), 230)).toBe('expired');
  });

  it('is cleared when full, and takes a text with no dot whole', () => {
    const cache = new VerifiedTokens<{ exp: number }>(2);
    cache.set('no-dots-at-all', { exp: 9 });
    cache.set(token('e30', 'b'), { exp: 9 });
    expect(cache.get('no-dots-at-all', 1)).toEqual({ exp: 9 });
    expect(cache.get('dots-at-all', 1)).toBeUndefined();
    cache.set(token('e30', 'c'), { exp: 9 });
    expect(cache.get('no-dots-at-all', 1)).toBeUndefined();
    expect(cache.get(token('e30', 'c'), 1)).toEqual({ exp: 9 });
  });
});
