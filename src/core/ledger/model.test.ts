/**
 * Model-based property test: random sequences of ledger operations (grants, debits,
 * priced spends, claw-backs, holds incl. shrinking and forced ones, captures, releases,
 * compound operations, idempotent replays and conflicts) run against the real ledger and
 * against a plain in-memory model. Each sequence is submitted in concurrent groups, so the
 * writer batches them; the model applies them in the order they reached the writer. Both
 * must agree on every outcome (balance, reserved and available credits of each success,
 * whether it replayed, what a capture charged, the code of each refusal) and on the final
 * state of every account and hold; the ledger must verify at the end.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects, createTestCore, type TestCore } from '../../../test/support/db.js';
import { testUsage } from '../../../test/support/factories.js';
import type { Core } from '../index.js';
import { DomainError } from '../errors.js';
import { newId } from '../ids.js';
import { GENESIS_HASH } from './hash.js';
import type { Applied, CreditType, LedgerOp } from './types.js';
import { verifyLedger } from './verify.js';

const ACCOUNTS = 2;
const HOLDS = 3;
/** Sequences per dialect; MODEL_RUNS=1000 searches longer (under a minute). */
const RUNS = Number(process.env.MODEL_RUNS ?? 40);

// ---------------------------------------------------------------------------------------
// Commands

type Idem = { s: number; k: number } | null;

/** What the model prices with: the seed's rules, restated here independently. */
const RULES = [
  { operation: 'message', unit: 'per_message', mc: 100, base: 1 },
  { operation: 'vapi_call', unit: 'per_minute', mc: 500, base: 60 },
  { operation: 'file_upload', unit: 'per_mb', mc: 250, base: 1_048_576 },
  { operation: 'llm_tokens', unit: 'per_1k_tokens', mc: 20, base: 1000 },
] as const;

type Step =
  | { t: 'grant'; mc: number; type: CreditType }
  | { t: 'debit'; mc: number; type: 'usage' | 'adjustment' }
  | { t: 'clawback'; mc: number }
  | { t: 'reserve'; h: number; mc: number; shrinkStep: number | null; forced: boolean }
  | { t: 'capture'; h: number; mc: number; dispute: boolean }
  | { t: 'release'; h: number; expired: boolean };

type Cmd =
  | { t: 'grant'; a: number; mc: number; type: CreditType; idem: Idem }
  | { t: 'debit'; a: number; mc: number; type: 'usage' | 'adjustment'; idem: Idem }
  | { t: 'spend'; a: number; rule: number; qty: number; bypass: boolean; idem: Idem }
  | { t: 'clawback'; a: number; mc: number; idem: Idem }
  | { t: 'reserve'; a: number; h: number; mc: number; shrinkStep: number | null; forced: boolean; idem: Idem }
  | { t: 'capture'; h: number; mc: number; owner: number | null; dispute: boolean; idem: Idem }
  | { t: 'release'; h: number; owner: number | null; expired: boolean; idem: Idem }
  | { t: 'compound'; a: number; steps: Step[]; idem: Idem }
  /** Repeats an earlier idempotent command of the sequence exactly (a client's retry). */
  | { t: 'retry'; j: number };

const acct = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const holdIx = fc.integer({ min: 0, max: HOLDS - 1 });
const amount = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 4000 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 1000) });
/** Grants are larger, so charges are not refused most of the time; 0 is refused as invalid. */
const grantAmount = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 12_000 }) }, { weight: 1, arbitrary: fc.constant(0) });
/** Sometimes: one of a few keys per scope, so replays and conflicts are frequent. */
const idem: fc.Arbitrary<Idem> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ s: acct, k: fc.integer({ min: 0, max: 3 }) }) },
);
const rarely = (outOfTen: number) => fc.integer({ min: 0, max: 9 }).map((x) => x < outOfTen);
const creditType = fc.constantFrom<CreditType>('purchase', 'bonus', 'signup_bonus', 'adjustment', 'auto_recharge');
const debitType = fc.constantFrom<'usage' | 'adjustment'>('usage', 'usage', 'adjustment');
const shrinkStep = fc.option(fc.integer({ min: 1, max: 700 }), { freq: 2 });
const forced = rarely(2);
/** Who a settling caller claims owns the hold (null: the caller does not say). */
const owner = fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: acct });

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constant('grant' as const), mc: grantAmount, type: creditType }),
  fc.record({ t: fc.constant('debit' as const), mc: amount, type: debitType }),
  fc.record({ t: fc.constant('clawback' as const), mc: amount }),
  fc.record({ t: fc.constant('reserve' as const), h: holdIx, mc: amount, shrinkStep, forced: fc.constant(false) }),
  fc.record({ t: fc.constant('capture' as const), h: holdIx, mc: amount, dispute: fc.constant(false) }),
  fc.record({ t: fc.constant('release' as const), h: holdIx, expired: fc.boolean() }),
);

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('grant' as const), a: acct, mc: grantAmount, type: creditType, idem }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('debit' as const), a: acct, mc: amount, type: debitType, idem }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        t: fc.constant('spend' as const),
        a: acct,
        rule: fc.integer({ min: 0, max: RULES.length - 1 }),
        bypass: rarely(2),
        idem,
      })
      // The base quantity (messages, seconds, bytes or tokens), costing up to about 3 credits.
      .chain((c) => fc.integer({ min: 0, max: [30, 400, 12_000_000, 150_000][c.rule] as number }).map((qty) => ({ ...c, qty }))),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clawback' as const), a: acct, mc: amount, idem }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('reserve' as const), a: acct, h: holdIx, mc: amount, shrinkStep, forced, idem }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('capture' as const), h: holdIx, mc: amount, owner, dispute: fc.boolean(), idem }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const), h: holdIx, owner, expired: fc.boolean(), idem }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('compound' as const), a: acct, steps: fc.array(step, { minLength: 1, maxLength: 3 }), idem }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retry' as const), j: fc.nat() }) },
);

/** A sequence: groups submitted one after the other, the commands of a group all at once. */
const sequence = fc.array(fc.array(cmd, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 });

type Real = Exclude<Cmd, { t: 'retry' }>;

/** Resolves retries to the earlier idempotent command they repeat (or drops them). */
function resolveRetries(groups: Cmd[][]): Real[][] {
  const idempotent: Real[] = [];
  return groups
    .map((g) =>
      g.flatMap((c): Real[] => {
        if (c.t !== 'retry') {
          if (c.idem) idempotent.push(c);
          return [c];
        }
        const again = idempotent[c.j % Math.max(1, idempotent.length)];
        return again ? [again] : [];
      }),
    )
    .filter((g) => g.length > 0);
}

/** The parameters an idempotency key is bound to: everything but the key. */
function fingerprint(c: Real): string {
  const { idem: _key, ...params } = c;
  return JSON.stringify(params);
}

// ---------------------------------------------------------------------------------------
// The model

type Outcome =
  | { ok: true; replayed: boolean; balance: number; reserved: number; available: number; charged?: number }
  | { ok: false; code: string };

interface Acc {
  balance: number;
  reserved: number;
  purchased: number;
  used: number;
  /** Ledger rows (each movement, each step of a compound one). */
  rows: number;
  usageRows: number;
  usageCharged: number;
}

type HoldStatus = 'active' | 'captured' | 'released' | 'expired';

interface Hold {
  a: number;
  amount: number;
  captured: number;
  status: HoldStatus;
}

class Refusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const PURCHASED: CreditType[] = ['purchase', 'bonus', 'auto_recharge'];

function costOf(rule: number, qty: number): number {
  const r = RULES[rule] as (typeof RULES)[number];
  // ceil(mc x quantity / base), in integers (all products stay far below 2^53).
  return Math.floor((r.mc * qty + r.base - 1) / r.base);
}

class Model {
  acc: Acc[] = Array.from({ length: ACCOUNTS }, () => ({ balance: 0, reserved: 0, purchased: 0, used: 0, rows: 0, usageRows: 0, usageCharged: 0 }));
  holds = new Map<number, Hold>();
  keys = new Map<string, { fp: string; out: Outcome }>();

  apply(c: Real): Outcome {
    const key = c.idem ? `${c.idem.s}:${c.idem.k}` : null;
    if (key) {
      const prior = this.keys.get(key);
      if (prior) {
        if (prior.fp !== fingerprint(c)) return { ok: false, code: 'idempotency_conflict' };
        return { ...prior.out, replayed: true } as Outcome;
      }
    }
    let out: Outcome;
    try {
      out = this.decide(c);
    } catch (e) {
      if (e instanceof Refusal) return { ok: false, code: e.code };
      throw e;
    }
    if (key) this.keys.set(key, { fp: fingerprint(c), out });
    return out;
  }

  private snap(a: number, charged?: number): Outcome {
    const x = this.acc[a] as Acc;
    const out: Outcome = { ok: true, replayed: false, balance: x.balance, reserved: x.reserved, available: x.balance - x.reserved };
    if (charged !== undefined) out.charged = charged;
    return out;
  }

  private decide(c: Real): Outcome {
    switch (c.t) {
      case 'spend': {
        const x = this.acc[c.a] as Acc;
        const cost = costOf(c.rule, c.qty);
        if (c.bypass) {
          x.usageRows++;
          return this.snap(c.a, 0);
        }
        this.step(c.a, { t: 'debit', mc: cost, type: 'usage' });
        return this.snap(c.a);
      }
      case 'compound': {
        // Decided step by step on a copy; kept only if every step passes.
        const saved = { acc: this.acc.map((x) => ({ ...x })), holds: new Map([...this.holds].map(([k, h]) => [k, { ...h }])) };
        try {
          for (const s of c.steps) this.step(c.a, s);
        } catch (e) {
          this.acc = saved.acc;
          this.holds = saved.holds;
          throw e;
        }
        return this.snap(c.a);
      }
      case 'capture':
      case 'release': {
        const charged = this.step(null, c, c.owner);
        return this.snap((this.holds.get(c.h) as Hold).a, charged);
      }
      default:
        this.step(c.a, c);
        return this.snap(c.a);
    }
  }

  /** Applies one movement; returns what a capture or release charged. */
  private step(a: number | null, s: Step, owner: number | null = null): number | undefined {
    const A = (i: number) => this.acc[i] as Acc;
    const avail = (i: number) => A(i).balance - A(i).reserved;
    const positive = (mc: number) => {
      if (mc <= 0) throw new Refusal('validation_error');
    };
    switch (s.t) {
      case 'grant': {
        positive(s.mc);
        const x = A(a as number);
        x.balance += s.mc;
        if (PURCHASED.includes(s.type)) x.purchased += s.mc;
        x.rows++;
        return undefined;
      }
      case 'debit': {
        const x = A(a as number);
        if (avail(a as number) < s.mc || avail(a as number) < 0) throw new Refusal('insufficient_credits');
        x.balance -= s.mc;
        if (s.type === 'usage') {
          // A usage charge comes with its usage record.
          x.used += s.mc;
          x.usageRows++;
          x.usageCharged += s.mc;
        }
        x.rows++;
        return undefined;
      }
      case 'clawback': {
        positive(s.mc);
        A(a as number).balance -= s.mc;
        A(a as number).rows++;
        return undefined;
      }
      case 'reserve': {
        const i = a as number;
        if (this.holds.has(s.h)) throw new Refusal('conflict');
        const av = avail(i);
        let mc = s.mc;
        if (!s.forced) {
          if (s.shrinkStep !== null) {
            const shrunk = av < 0 || av < s.shrinkStep ? null : av - (av % s.shrinkStep);
            if (shrunk === null) throw new Refusal('insufficient_credits');
            mc = Math.min(shrunk, s.mc);
          }
          if (av < mc || av < 0) throw new Refusal('insufficient_credits');
        }
        this.holds.set(s.h, { a: i, amount: mc, captured: 0, status: 'active' });
        A(i).reserved += mc;
        A(i).rows++;
        return undefined;
      }
      case 'capture':
      case 'release': {
        const h = this.holds.get(s.h);
        // Inside a compound operation the hold must be the operation's account's.
        const mustBe = a ?? owner;
        if (!h || (mustBe !== null && h.a !== mustBe)) throw new Refusal('not_found');
        if (h.status !== 'active') throw new Refusal('conflict');
        const x = A(h.a);
        x.reserved -= h.amount;
        x.rows++;
        if (s.t === 'release') {
          h.status = s.expired ? 'expired' : 'released';
          return 0;
        }
        const charged = Math.min(s.mc, h.amount);
        h.status = 'captured';
        h.captured = charged;
        x.balance -= charged;
        if (!s.dispute) {
          // A settled hold records what it was for (charged, or nothing when released).
          if (charged > 0) x.used += charged;
          x.usageRows++;
          x.usageCharged += charged;
        }
        return charged;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The real ledger

/** Accounts straight into the tables (no password hashing: this test runs thousands). */
async function openAccounts(core: Core, n: number): Promise<string[]> {
  return core.writer.transaction(async ({ trx, now }) => {
    const ids = Array.from({ length: n }, () => newId(now));
    await trx
      .insertInto('users')
      .values(ids.map((id) => ({ id, email: `${id}@model.test`, name: 'model', password_hash: 'x', role: 'user' as const, stripe_customer_id: null, created_at: now, updated_at: now })))
      .execute();
    await trx
      .insertInto('user_credits')
      .values(ids.map((id) => ({ user_id: id, balance_mc: 0, reserved_mc: 0, lifetime_purchased_mc: 0, lifetime_used_mc: 0, seq: 0, last_hash: GENESIS_HASH, updated_at: now })))
      .execute();
    return ids;
  });
}

function toOp(c: Step, userId: string, holdId: (h: number) => string): Exclude<LedgerOp, { kind: 'compound' }> {
  const expiresAt = Date.now() + 3_600_000;
  switch (c.t) {
    case 'grant':
      return { kind: 'credit', userId, amountMc: c.mc, type: c.type };
    case 'debit':
      return { kind: 'debit', userId, amountMc: c.mc, type: c.type, ...(c.type === 'usage' ? { usage: testUsage(c.mc) } : {}) };
    case 'clawback':
      return { kind: 'clawback', userId, amountMc: c.mc, type: 'refund' };
    case 'reserve': {
      const step = c.shrinkStep;
      return {
        kind: 'reserve',
        userId,
        reservationId: holdId(c.h),
        amountMc: c.mc,
        expiresAt,
        forced: c.forced,
        shrink: step === null ? undefined : (av) => (av >= step ? av - (av % step) : null),
      };
    }
    case 'capture':
      return { kind: 'capture', reservationId: holdId(c.h), amountMc: c.mc, usage: testUsage(c.mc) };
    case 'release':
      return { kind: 'release', reservationId: holdId(c.h), reason: c.expired ? 'expired' : 'released' };
  }
}

/** Starts one command through the ledger's public surface; `i` tags it so its arrival at the writer is seen. */
function start(core: Core, c: Real, i: number, users: string[], holdId: (h: number) => string): Promise<Applied> {
  const u = (a: number) => users[a] as string;
  const common = {
    metadata: { i },
    idem: c.idem ? { scope: u(c.idem.s), key: `k${c.idem.k}`, fingerprint: fingerprint(c) } : undefined,
  };
  const L = core.ledger;
  switch (c.t) {
    case 'grant':
      return L.grant(u(c.a), c.mc, c.type, common);
    case 'debit':
      return L.debit(u(c.a), c.mc, c.type, { ...common, ...(c.type === 'usage' ? { usage: testUsage(c.mc) } : {}) });
    case 'spend': {
      const r = RULES[c.rule] as (typeof RULES)[number];
      return L.spend(u(c.a), { operation: r.operation, unit: r.unit, quantityMilli: c.qty * 1000, bypass: c.bypass, ...common });
    }
    case 'clawback':
      return L.clawBack(u(c.a), c.mc, 'refund', common);
    case 'reserve': {
      const step = c.shrinkStep;
      return L.reserve(u(c.a), c.mc, Date.now() + 3_600_000, {
        ...common,
        reservationId: holdId(c.h),
        forced: c.forced,
        ...(step === null ? {} : { shrink: (av: number) => (av >= step ? av - (av % step) : null) }),
      });
    }
    case 'capture':
      return L.capture(holdId(c.h), c.mc, { ...common, ...(c.owner === null ? {} : { userId: u(c.owner) }), ...(c.dispute ? { type: 'dispute' as const } : { type: 'usage' as const, usage: testUsage(c.mc) }) });
    case 'release':
      return L.release(holdId(c.h), { ...common, ...(c.owner === null ? {} : { userId: u(c.owner) }), reason: c.expired ? 'expired' : 'released' });
    case 'compound':
      return core.writer.submit({ kind: 'compound', userId: u(c.a), steps: c.steps.map((s) => toOp(s, u(c.a), holdId)), ...common });
  }
}

function outcomeOf(c: Real, a: Applied): Outcome {
  const out: Outcome = { ok: true, replayed: a.replayed, balance: a.balanceMc, reserved: a.reservedMc, available: a.availableMc };
  if (c.t === 'capture' || c.t === 'release' || (c.t === 'spend' && c.bypass)) out.charged = a.chargedMc as number;
  return out;
}

describe.each(await activeDialects())('the ledger agrees with a model (%s)', (dialect) => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore(dialect);
  });
  afterAll(async () => {
    await core?.dispose();
  });

  it(`on every outcome of ${RUNS} random concurrent sequences`, async () => {
    // See the order in which operations reach the writer: priced spends reach it a few
    // ticks after the others of their group, and the writer applies arrival order.
    const arrivals: number[] = [];
    const submit = core.writer.submit.bind(core.writer);
    core.writer.submit = (op: LedgerOp) => {
      arrivals.push((op.metadata as { i: number }).i);
      return submit(op);
    };
    let run = 0;
    let ops = 0;
    let largestBatch = 0;
    core.writer.onBatch((size) => {
      largestBatch = Math.max(largestBatch, size);
    });
    await fc.assert(
      fc.asyncProperty(sequence, async (raw) => {
        run++;
        // Both accounts start with some credits, so most charges are decided on their merits.
        const opening: Real[] = Array.from({ length: ACCOUNTS }, (_, a) => ({ t: 'grant', a, mc: 8000, type: 'purchase', idem: null }));
        const groups = [opening, ...resolveRetries(raw)];
        const users = await openAccounts(core, ACCOUNTS);
        const holdId = (h: number) => `${users[0]}-h${h}`;
        const model = new Model();
        for (const group of groups) {
          arrivals.length = 0;
          const results = await Promise.all(
            group.map((c, i) =>
              start(core, c, i, users, holdId).then(
                (a) => outcomeOf(c, a),
                (e): Outcome => {
                  if (e instanceof DomainError) return { ok: false, code: e.code };
                  throw e;
                },
              ),
            ),
          );
          expect([...arrivals].sort((x, y) => x - y)).toEqual(group.map((_, i) => i));
          const expected: Outcome[] = new Array(group.length);
          for (const i of arrivals) expected[i] = model.apply(group[i] as Real);
          expect(results, JSON.stringify({ group, arrivals })).toEqual(expected);
          ops += group.length;
        }

        // Final state of every account and hold.
        for (let a = 0; a < ACCOUNTS; a++) {
          const id = users[a] as string;
          const m = model.acc[a] as Acc;
          const row = await core.database.db.selectFrom('user_credits').selectAll().where('user_id', '=', id).executeTakeFirstOrThrow();
          expect({
            balance: row.balance_mc,
            reserved: row.reserved_mc,
            available: row.available_mc,
            purchased: row.lifetime_purchased_mc,
            used: row.lifetime_used_mc,
            rows: row.seq,
          }).toEqual({ balance: m.balance, reserved: m.reserved, available: m.balance - m.reserved, purchased: m.purchased, used: m.used, rows: m.rows });
          const usage = await core.database.db
            .selectFrom('usage_tracking')
            .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('charged_mc').as('charged')])
            .where('user_id', '=', id)
            .executeTakeFirstOrThrow();
          expect({ n: Number(usage.n), charged: Number(usage.charged ?? 0) }).toEqual({ n: m.usageRows, charged: m.usageCharged });
        }
        const holds = await core.database.db.selectFrom('reservations').selectAll().where('id', 'like', `${users[0]}-h%`).execute();
        const actual = Object.fromEntries(holds.map((h) => [h.id, { a: users.indexOf(h.user_id), amount: h.amount_mc, captured: h.captured_mc, status: h.status }]));
        const wanted = Object.fromEntries([...model.holds].map(([h, x]) => [holdId(h), x]));
        expect(actual).toEqual(wanted);
      }),
      { numRuns: RUNS },
    );
    core.writer.submit = submit;
    expect(run).toBeGreaterThanOrEqual(RUNS);
    expect(ops).toBeGreaterThan(RUNS);
    // The groups really were committed together, several operations per transaction.
    expect(largestBatch).toBeGreaterThan(1);
    const report = await verifyLedger(core.database.db, core.ledgerKey);
    expect(report.violations).toEqual([]);
  });
});
