/**
 * The ledger model test's half without a database (src/core/ledger/model.test.ts): the
 * random commands it generates, and a plain in-memory model of the ledger that says what
 * each command must do. The test runs the same commands against the real ledger and
 * compares.
 */
import fc from 'fast-check';
import type { CreditType } from '../../src/core/ledger/types.js';

export const ACCOUNTS = 2;
export const HOLDS = 3;

// ---------------------------------------------------------------------------------------
// Commands

type Idem = { s: number; k: number } | null;

/** What the model prices with: the seed's rules, restated here independently. */
export const RULES = [
  { operation: 'message', unit: 'per_message', mc: 100, base: 1 },
  { operation: 'vapi_call', unit: 'per_minute', mc: 500, base: 60 },
  { operation: 'file_upload', unit: 'per_mb', mc: 250, base: 1_048_576 },
  { operation: 'llm_tokens', unit: 'per_1k_tokens', mc: 20, base: 1000 },
] as const;

export type Step =
  | { t: 'grant'; mc: number; type: CreditType }
  | { t: 'debit'; mc: number; type: 'usage' | 'adjustment' }
  | { t: 'clawback'; mc: number }
  | { t: 'reserve'; h: number; mc: number; shrinkStep: number | null; forced: boolean }
  | { t: 'capture'; h: number; mc: number; dispute: boolean }
  | { t: 'release'; h: number; expired: boolean };

export type Cmd =
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
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('compound' as const), a: acct, steps: fc.array(step, { minLength: 1, maxLength: 3 }), idem }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retry' as const), j: fc.nat() }) },
);

/** A sequence: groups submitted one after the other, the commands of a group all at once. */
export const sequence = fc.array(fc.array(cmd, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 });

export type Real = Exclude<Cmd, { t: 'retry' }>;

/** Resolves retries to the earlier idempotent command they repeat (or drops them). */
export function resolveRetries(groups: Cmd[][]): Real[][] {
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
export function fingerprint(c: Real): string {
  const { idem: _key, ...params } = c;
  return JSON.stringify(params);
}

// ---------------------------------------------------------------------------------------
// The model

export type Outcome =
  | { ok: true; replayed: boolean; balance: number; reserved: number; available: number; charged?: number }
  | { ok: false; code: string };

export interface Acc {
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

export class Model {
  acc: Acc[] = Array.from({ length: ACCOUNTS }, () => ({
    balance: 0,
    reserved: 0,
    purchased: 0,
    used: 0,
    rows: 0,
    usageRows: 0,
    usageCharged: 0,
  }));
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
