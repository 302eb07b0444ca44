import { describe, expect, it } from 'vitest';
import { verifyProgress } from './progress.js';

describe('verify progress', () => {
  it('says nothing for a walk done within the first interval', () => {
    const lines: string[] = [];
    let t = 0;
    const p = verifyProgress(0, { now: () => t, write: (l) => lines.push(l) });
    for (const checked of [500, 1000]) {
      t += 500;
      p(checked, 1000);
    }
    expect(lines).toEqual([]);
  });

  it('says the rows checked every interval, then once that the walk is done', () => {
    const lines: string[] = [];
    let t = 0;
    const p = verifyProgress(0, { now: () => t, write: (l) => lines.push(l) });
    // A page of 100,000 rows every 900 ms, 1,000,000 rows in all.
    for (let checked = 100_000; checked <= 1_000_000; checked += 100_000) {
      t += 900;
      p(checked, 1_000_000);
    }
    expect(lines).toEqual([
      'verify: 300,000 of 1,000,000 ledger rows checked (30%), 3 s',
      'verify: 600,000 of 1,000,000 ledger rows checked (60%), 5 s',
      'verify: 900,000 of 1,000,000 ledger rows checked (90%), 8 s',
      'verify: 1,000,000 ledger rows walked; cross-checking balances, holds, usage, payments and grants',
    ]);
  });
});
