/**
 * Model-based property test: random sequences of ledger operations, submitted in
 * concurrent groups so the writer batches them, against a plain in-memory model. They
 * must agree on every outcome (the balances each success reports, the code of each
 * refusal) and on the final state; the ledger must verify afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects, createTestCore, type TestCore } from '../../../test/support/db.js';
import { makeUser } from '../../../test/support/factories.js';
import { DomainError } from '../errors.js';
import type { LedgerOp } from './types.js';
import { verifyLedger } from './verify.js';

type Cmd =
  | { t: 'grant'; a: number; mc: number }
  | { t: 'debit'; a: number; mc: number }
  | { t: 'clawback'; a: number; mc: number }
  | { t: 'reserve'; a: number; h: number; mc: number }
  | { t: 'reserveShrink'; a: number; h: number; mc: number; step: number }
  | { t: 'capture'; h: number; mc: number }
  | { t: 'release'; h: number }
  | { t: 'idemDebit'; a: number; k: number; mc: number }
  | { t: 'compound'; a: number; h: number; debit: number; hold: number };

const acct = fc.integer({ min: 0, max: 1 });
const hold = fc.integer({ min: 0, max: 5 });
const mc = fc.integer({ min: 1, max: 4000 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ t: fc.constant('grant' as const), a: acct, mc }),
  fc.record({ t: fc.constant('debit' as const), a: acct, mc: fc.integer({ min: 0, max: 4000 }) }),
  fc.record({ t: fc.constant('clawback' as const), a: acct, mc }),
  fc.record({ t: fc.constant('reserve' as const), a: acct, h: hold, mc: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ t: fc.constant('reserveShrink' as const), a: acct, h: hold, mc, step: fc.integer({ min: 1, max: 700 }) }),
  fc.record({ t: fc.constant('capture' as const), h: hold, mc: fc.integer({ min: 0, max: 4000 }) }),
  fc.record({ t: fc.constant('release' as const), h: hold }),
  fc.record({ t: fc.constant('idemDebit' as const), a: acct, k: fc.integer({ min: 0, max: 3 }), mc: fc.integer({ min: 1, max: 3 }).map((x) => x * 500) }),
  fc.record({ t: fc.constant('compound' as const), a: acct, h: hold, debit: fc.integer({ min: 0, max: 2000 }), hold: fc.integer({ min: 0, max: 2000 }) }),
);

type Outcome = { ok: true; balance: number; reserved: number } | { ok: false; code: string };

class Model {
  acc = [
    { balance: 0, reserved: 0 },
    { balance: 0, reserved: 0 },
  ];
  holds = new Map<number, { a: number; amount: number; active: boolean }>();
  keys = new Map<string, { fp: string; out: Outcome }>();

  private avail(a: number) {
    const x = this.acc[a] as { balance: number; reserved: number };
    return x.balance - x.reserved;
  }
  private snap(a: number): Outcome {
    const x = this.acc[a] as { balance: number; reserved: number };
    return { ok: true, balance: x.balance, reserved: x.reserved };
  }

  apply(c: Cmd): Outcome {
    const A = (a: number) => this.acc[a] as { balance: number; reserved: number };
    switch (c.t) {
      case 'grant':
        A(c.a).balance += c.mc;
        return this.snap(c.a);
      case 'debit':
        if (this.avail(c.a) < c.mc || this.avail(c.a) < 0) return { ok: false, code: 'insufficient_credits' };
        A(c.a).balance -= c.mc;
        return this.snap(c.a);
      case 'clawback':
        A(c.a).balance -= c.mc;
        return this.snap(c.a);
      case 'reserve':
      case 'reserveShrink': {
        if (this.holds.has(c.h)) return { ok: false, code: 'conflict' };
        const av = this.avail(c.a);
        let amount = c.mc;
        if (c.t === 'reserveShrink') {
          const s = av < 0 ? null : av >= c.step ? av - (av % c.step) : null;
          if (s === null) return { ok: false, code: 'insufficient_credits' };
          amount = Math.min(s, c.mc);
        }
        if (av < amount || av < 0) return { ok: false, code: 'insufficient_credits' };
        this.holds.set(c.h, { a: c.a, amount, active: true });
        A(c.a).reserved += amount;
        return this.snap(c.a);
      }
      case 'capture': {
        const h = this.holds.get(c.h);
        if (!h) return { ok: false, code: 'not_found' };
        if (!h.active) return { ok: false, code: 'conflict' };
        h.active = false;
        A(h.a).balance -= Math.min(c.mc, h.amount);
        A(h.a).reserved -= h.amount;
        return this.snap(h.a);
      }
      case 'release': {
        const h = this.holds.get(c.h);
        if (!h) return { ok: false, code: 'not_found' };
        if (!h.active) return { ok: false, code: 'conflict' };
        h.active = false;
        A(h.a).reserved -= h.amount;
        return this.snap(h.a);
      }
      case 'idemDebit': {
        const key = `${c.a}:${c.k}`;
        const fp = String(c.mc);
        const prior = this.keys.get(key);
        if (prior) return prior.fp === fp ? prior.out : { ok: false, code: 'idempotency_conflict' };
        const out = this.apply({ t: 'debit', a: c.a, mc: c.mc });
        if (out.ok) this.keys.set(key, { fp, out });
        return out;
      }
      case 'compound': {
        // Steps are decided in order: the debit first, then the hold.
        const av = this.avail(c.a);
        if (av < c.debit || av < 0) return { ok: false, code: 'insufficient_credits' };
        if (this.holds.has(c.h)) return { ok: false, code: 'conflict' };
        const after = av - c.debit;
        if (after < c.hold) return { ok: false, code: 'insufficient_credits' };
        A(c.a).balance -= c.debit;
        A(c.a).reserved += c.hold;
        this.holds.set(c.h, { a: c.a, amount: c.hold, active: true });
        return this.snap(c.a);
      }
    }
  }
}

describe.each(await activeDialects())('the ledger agrees with a model (%s)', (dialect) => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore(dialect);
  });
  afterAll(async () => {
    await core?.dispose();
  });

  it('on every outcome of random concurrent operation sequences', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cmd, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 }), async (groups) => {
        run++;
        const users = [await makeUser(core), await makeUser(core)].map((u) => u.id);
        const holdId = (h: number) => `run${run}-${users[0]}-h${h}`;
        const model = new Model();
        const toOp = (c: Cmd): LedgerOp => {
          const u = (a: number) => users[a] as string;
          switch (c.t) {
            case 'grant':
              return { kind: 'credit', userId: u(c.a), amountMc: c.mc, type: 'purchase' };
            case 'debit':
              return { kind: 'debit', userId: u(c.a), amountMc: c.mc, type: 'usage' };
            case 'clawback':
              return { kind: 'clawback', userId: u(c.a), amountMc: c.mc, type: 'refund' };
            case 'reserve':
              return { kind: 'reserve', userId: u(c.a), reservationId: holdId(c.h), amountMc: c.mc, expiresAt: Date.now() + 3_600_000 };
            case 'reserveShrink':
              return {
                kind: 'reserve',
                userId: u(c.a),
                reservationId: holdId(c.h),
                amountMc: c.mc,
                expiresAt: Date.now() + 3_600_000,
                shrink: (av) => (av >= c.step ? av - (av % c.step) : null),
              };
            case 'capture':
              return { kind: 'capture', reservationId: holdId(c.h), amountMc: c.mc };
            case 'release':
              return { kind: 'release', reservationId: holdId(c.h), reason: 'released' };
            case 'idemDebit':
              return { kind: 'debit', userId: u(c.a), amountMc: c.mc, type: 'usage', idem: { scope: u(c.a), key: `run${run}-k${c.k}`, fingerprint: String(c.mc) } };
            case 'compound':
              return {
                kind: 'compound',
                userId: u(c.a),
                steps: [
                  { kind: 'debit', userId: u(c.a), amountMc: c.debit, type: 'usage' },
                  { kind: 'reserve', userId: u(c.a), reservationId: holdId(c.h), amountMc: c.hold, expiresAt: Date.now() + 3_600_000 },
                ],
              };
          }
        };
        for (const group of groups) {
          // Submitted together: the writer may batch them, in this order.
          const results = await Promise.all(
            group.map((c) =>
              core.writer.submit(toOp(c)).then(
                (a): Outcome => ({ ok: true, balance: a.balanceMc, reserved: a.reservedMc }),
                (e): Outcome => {
                  if (e instanceof DomainError) return { ok: false, code: e.code };
                  throw e;
                },
              ),
            ),
          );
          const expected = group.map((c) => model.apply(c));
          expect(results).toEqual(expected);
        }
        for (let a = 0; a < 2; a++) {
          const b = await core.ledger.balance(users[a] as string);
          expect({ balance: b.balanceMc, reserved: b.reservedMc }).toEqual(model.acc[a]);
        }
      }),
      { numRuns: 25 },
    );
    const report = await verifyLedger(core.database.db);
    expect(report.violations).toEqual([]);
  });
});
