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
/**
 * Account 1 is an organisation with MEMBERS members, each with a monthly limit (or none) drawn
 * for the sequence; a command on it may name a member (`m`), or m = MEMBERS: a user who is not
 * a member (refused 404). On account 0 (personal) `m` is ignored.
 */
export const ORG = 1;
export const MEMBERS = 2;

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

/** The model's clock moves in ticks; a grant may expire a few ticks after it is made. */
export const TICK = 60_000;

export type Step =
  | { t: 'grant'; mc: number; type: CreditType; exp: number | null }
  | { t: 'debit'; mc: number; type: 'usage' | 'adjustment' }
  | { t: 'clawback'; mc: number }
  | { t: 'reserve'; h: number; mc: number; shrinkStep: number | null; forced: boolean }
  | { t: 'capture'; h: number; mc: number; dispute: boolean }
  | { t: 'release'; h: number; expired: boolean };

export type Cmd =
  | { t: 'grant'; a: number; mc: number; type: CreditType; exp: number | null; idem: Idem }
  | { t: 'debit'; a: number; m: number | null; mc: number; type: 'usage' | 'adjustment'; idem: Idem }
  | { t: 'spend'; a: number; m: number | null; rule: number; qty: number; bypass: boolean; idem: Idem }
  | { t: 'clawback'; a: number; mc: number; idem: Idem }
  | { t: 'reserve'; a: number; m: number | null; h: number; mc: number; shrinkStep: number | null; forced: boolean; idem: Idem }
  | { t: 'capture'; h: number; mc: number; owner: number | null; dispute: boolean; idem: Idem }
  | { t: 'release'; h: number; owner: number | null; expired: boolean; idem: Idem }
  | { t: 'compound'; a: number; m: number | null; steps: Step[]; idem: Idem }
  /** Repeats an earlier idempotent command of the sequence exactly (a client's retry). */
  | { t: 'retry'; j: number };

const acct = fc.integer({ min: 0, max: ACCOUNTS - 1 });
/** Who causes a charge or hold on the organisation: mostly a member, sometimes nobody named, rarely an outsider. */
const memberIx = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: MEMBERS - 1 }) },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(MEMBERS) },
);
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
/** Ticks until a grant expires (null: never; 0: now, which is refused as not in the future). */
const expiry = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 1, arbitrary: fc.constant(0) },
);
const debitType = fc.constantFrom<'usage' | 'adjustment'>('usage', 'usage', 'adjustment');
const shrinkStep = fc.option(fc.integer({ min: 1, max: 700 }), { freq: 2 });
const forced = rarely(2);
/** Who a settling caller claims owns the hold (null: the caller does not say). */
const owner = fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: acct });

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constant('grant' as const), mc: grantAmount, type: creditType, exp: expiry }),
  fc.record({ t: fc.constant('debit' as const), mc: amount, type: debitType }),
  fc.record({ t: fc.constant('clawback' as const), mc: amount }),
  fc.record({ t: fc.constant('reserve' as const), h: holdIx, mc: amount, shrinkStep, forced: fc.constant(false) }),
  fc.record({ t: fc.constant('capture' as const), h: holdIx, mc: amount, dispute: fc.constant(false) }),
  fc.record({ t: fc.constant('release' as const), h: holdIx, expired: fc.boolean() }),
);

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('grant' as const), a: acct, mc: grantAmount, type: creditType, exp: expiry, idem }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('debit' as const), a: acct, m: memberIx, mc: amount, type: debitType, idem }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        t: fc.constant('spend' as const),
        a: acct,
        m: memberIx,
        rule: fc.integer({ min: 0, max: RULES.length - 1 }),
        bypass: rarely(2),
        idem,
      })
      // The base quantity (messages, seconds, bytes or tokens), costing up to about 3 credits.
      .chain((c) => fc.integer({ min: 0, max: [30, 400, 12_000_000, 150_000][c.rule] as number }).map((qty) => ({ ...c, qty }))),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clawback' as const), a: acct, mc: amount, idem }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('reserve' as const), a: acct, m: memberIx, h: holdIx, mc: amount, shrinkStep, forced, idem }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('capture' as const), h: holdIx, mc: amount, owner, dispute: fc.boolean(), idem }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const), h: holdIx, owner, expired: fc.boolean(), idem }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('compound' as const),
      a: acct,
      m: memberIx,
      steps: fc.array(step, { minLength: 1, maxLength: 3 }),
      idem,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retry' as const), j: fc.nat() }) },
);

/** Between two groups: the clock moves on by some ticks, and the grants' sweeper runs (or not). */
export interface Interlude {
  ticks: number;
  sweep: boolean;
}
const interlude: fc.Arbitrary<Interlude> = fc.record({ ticks: fc.integer({ min: 0, max: 2 }), sweep: fc.boolean() });

/** A sequence: groups submitted one after the other, the commands of a group all at once, each followed by an interlude. */
export const sequence = fc.array(fc.tuple(fc.array(cmd, { minLength: 1, maxLength: 8 }), interlude), { minLength: 1, maxLength: 6 });

/** The organisation members' monthly limits for a sequence (null: none); small enough to be reached often. */
export const memberLimits = fc.array(
  fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: fc.integer({ min: 0, max: 9000 }) }),
  { minLength: MEMBERS, maxLength: MEMBERS },
);

/** The member a command names on the organisation (its index), or null: none named, or not the organisation. */
export function memberOfCmd(c: Real): number | null {
  if (!('m' in c) || c.a !== ORG || c.m === null) return null;
  if (c.t === 'spend' && c.bypass) return null;
  return c.m;
}

/** The calendar month (UTC) of a time, as member_month_usage keeps it. */
export const monthOfTime = (ms: number) => new Date(ms).toISOString().slice(0, 7);

export type Real = Exclude<Cmd, { t: 'retry' }>;

/** Resolves retries to the earlier idempotent command they repeat (or drops them); a group may end up empty. */
export function resolveRetries(groups: [Cmd[], Interlude][]): [Real[], Interlude][] {
  const idempotent: Real[] = [];
  return groups.map(([g, i]) => [
    g.flatMap((c): Real[] => {
      if (c.t !== 'retry') {
        if (c.idem) idempotent.push(c);
        return [c];
      }
      const again = idempotent[c.j % Math.max(1, idempotent.length)];
      return again ? [again] : [];
    }),
    i,
  ]);
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

/** A grant in the model: made in order (`n`), spent in the contract's order. */
export interface MGrant {
  n: number;
  source: CreditType;
  credits: number;
  remaining: number;
  reserved: number;
  expired: number;
  expiresAt: number | null;
  isExpired: boolean;
}

export interface Acc {
  grants: MGrant[];
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
  /** The organisation member whose hold it is (null: none). */
  m: number | null;
  amount: number;
  captured: number;
  status: HoldStatus;
  /** What it reserved from which grants (by `n`). */
  alloc: { n: number; mc: number }[];
}

class Refusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const PURCHASED: CreditType[] = ['purchase', 'bonus', 'auto_recharge'];
const PROMOTIONAL: CreditType[] = ['bonus', 'signup_bonus', 'adjustment'];

/** The contract's order: expiring before never-expiring, earliest first, promotional before paid, then oldest. */
function order(x: MGrant, y: MGrant): number {
  const ex = x.expiresAt ?? Number.POSITIVE_INFINITY;
  const ey = y.expiresAt ?? Number.POSITIVE_INFINITY;
  if (ex !== ey) return ex < ey ? -1 : 1;
  const px = PROMOTIONAL.includes(x.source) ? 0 : 1;
  const py = PROMOTIONAL.includes(y.source) ? 0 : 1;
  return px !== py ? px - py : x.n - y.n;
}

const free = (g: MGrant) => (g.isExpired ? 0 : g.remaining - g.reserved);

function costOf(rule: number, qty: number): number {
  const r = RULES[rule] as (typeof RULES)[number];
  // ceil(mc x quantity / base), in integers (all products stay far below 2^53).
  return Math.floor((r.mc * qty + r.base - 1) / r.base);
}

/** An organisation member: their limit, what they were charged by month, and what forced holds put past checks. */
export interface MMember {
  limit: number | null;
  used: Map<string, number>;
  forced: number;
}

export class Model {
  clock = 0;
  members: MMember[];
  /** How many charges and holds a member's limit refused, and how many of theirs succeeded. */
  limitRefusals = 0;
  memberOps = 0;
  /** `base`: the real time of the model's clock 0 (the limits are per calendar month of it). */
  constructor(
    readonly base = 0,
    limits: (number | null)[] = [],
  ) {
    this.members = Array.from({ length: MEMBERS }, (_, i) => ({ limit: limits[i] ?? null, used: new Map(), forced: 0 }));
  }

  month(): string {
    return monthOfTime(this.base + this.clock);
  }

  /** What counts against a member's limit now: charged this month plus their active holds. */
  counted(m: number): number {
    let held = 0;
    for (const h of this.holds.values()) if (h.m === m && h.status === 'active') held += h.amount;
    return ((this.members[m] as MMember).used.get(this.month()) ?? 0) + held;
  }

  /** Refuses a charge or hold of `mc` by member `m` past their limit (402 member_limit_exceeded). */
  private checkLimit(m: number, mc: number) {
    const x = this.members[m] as MMember;
    if (x.limit !== null && this.counted(m) + mc > x.limit) throw new Refusal('member_limit_exceeded');
  }

  private charge(m: number | null, mc: number) {
    if (m === null || mc === 0) return;
    const x = this.members[m] as MMember;
    x.used.set(this.month(), (x.used.get(this.month()) ?? 0) + mc);
  }

  /** A member named on the organisation must be one (404 otherwise). */
  private memberCheck(m: number | null) {
    if (m !== null && m >= MEMBERS) throw new Refusal('not_found');
  }

  grantsMade = 0;
  acc: Acc[] = Array.from({ length: ACCOUNTS }, () => ({
    grants: [],
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
    const m = memberOfCmd(c);
    try {
      out = this.decide(c);
    } catch (e) {
      if (e instanceof Refusal) {
        if (e.code === 'member_limit_exceeded') this.limitRefusals++;
        return { ok: false, code: e.code };
      }
      throw e;
    }
    if (m !== null) this.memberOps++;
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
          // Recorded, not charged: a usage row of amount 0.
          x.usageRows++;
          x.rows++;
          return this.snap(c.a, 0);
        }
        this.step(c.a, { t: 'debit', mc: cost, type: 'usage' }, null, memberOfCmd(c));
        return this.snap(c.a);
      }
      case 'compound': {
        // Decided step by step on a copy; kept only if every step passes.
        const saved = {
          acc: this.acc.map((x) => ({ ...x, grants: x.grants.map((g) => ({ ...g })) })),
          holds: new Map([...this.holds].map(([k, h]) => [k, { ...h, alloc: h.alloc.map((x) => ({ ...x })) }])),
          grantsMade: this.grantsMade,
          members: this.members.map((x) => ({ ...x, used: new Map(x.used) })),
        };
        try {
          for (const s of c.steps) this.step(c.a, s, null, memberOfCmd(c));
        } catch (e) {
          this.acc = saved.acc;
          this.holds = saved.holds;
          this.grantsMade = saved.grantsMade;
          this.members = saved.members;
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
        this.step(c.a, c, null, memberOfCmd(c));
        return this.snap(c.a);
    }
  }

  /**
   * The grants follow the balance's positive part: what it lost beyond `taken` comes out of
   * free credits in order, then out of what the account's active holds reserved.
   */
  private spend(a: number, before: number, taken: number) {
    const x = this.acc[a] as Acc;
    let need = Math.max(0, before) - Math.max(0, x.balance) - taken;
    if (need <= 0) return;
    for (const g of [...x.grants].sort(order)) {
      const t = Math.min(free(g), need);
      if (t <= 0) continue;
      g.remaining -= t;
      need -= t;
    }
    if (need <= 0) return;
    const of = (n: number) => x.grants.find((g) => g.n === n) as MGrant;
    const held = [...this.holds.entries()]
      .filter(([, h]) => h.a === a && h.status === 'active')
      .flatMap(([k, h]) => h.alloc.map((r) => ({ r, k })))
      .filter(({ r }) => r.mc > 0)
      // The order of the grants; for one grant, the holds in the order of their ids.
      .sort((p, q) => order(of(p.r.n), of(q.r.n)) || p.k - q.k)
      .map(({ r }) => r);
    for (const r of held) {
      if (need <= 0) break;
      const g = of(r.n);
      const t = Math.min(r.mc, need);
      r.mc -= t;
      g.reserved -= t;
      g.remaining -= t;
      need -= t;
    }
  }

  /** Moves the clock on by whole ticks. */
  advance(ticks: number) {
    this.clock += ticks * TICK;
  }

  /** The sweeper: every grant due expires what no hold reserved of it. */
  sweep() {
    for (const x of this.acc) {
      for (const g of x.grants) {
        if (g.isExpired || g.expiresAt === null || g.expiresAt > this.clock) continue;
        const mc = g.remaining - g.reserved;
        g.isExpired = true;
        g.remaining -= mc;
        g.expired += mc;
        x.balance -= mc;
        if (mc > 0) x.rows++;
      }
    }
  }

  /** Applies one movement (by organisation member `m`, if any); returns what a capture or release charged. */
  private step(a: number | null, s: Step, owner: number | null = null, m: number | null = null): number | undefined {
    const A = (i: number) => this.acc[i] as Acc;
    const avail = (i: number) => A(i).balance - A(i).reserved;
    const positive = (mc: number) => {
      if (mc <= 0) throw new Refusal('validation_error');
    };
    switch (s.t) {
      case 'grant': {
        positive(s.mc);
        if (s.exp === 0) throw new Refusal('validation_error');
        const x = A(a as number);
        const before = x.balance;
        x.balance += s.mc;
        if (PURCHASED.includes(s.type)) x.purchased += s.mc;
        x.rows++;
        x.grants.push({
          n: this.grantsMade++,
          source: s.type,
          credits: s.mc,
          remaining: Math.max(0, x.balance) - Math.max(0, before),
          reserved: 0,
          expired: 0,
          expiresAt: s.exp === null ? null : this.clock + s.exp * TICK,
          isExpired: false,
        });
        return undefined;
      }
      case 'debit': {
        const x = A(a as number);
        // The member first (404), their limit (it is theirs, whatever the organisation holds), then the balance.
        this.memberCheck(m);
        if (m !== null) this.checkLimit(m, s.mc);
        if (avail(a as number) < s.mc || avail(a as number) < 0) throw new Refusal('insufficient_credits');
        // What counts against a limit is what the member's usage rows charged.
        if (s.type === 'usage') this.charge(m, s.mc);
        const before = x.balance;
        x.balance -= s.mc;
        this.spend(a as number, before, 0);
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
        const before = A(a as number).balance;
        A(a as number).balance -= s.mc;
        A(a as number).rows++;
        this.spend(a as number, before, 0);
        return undefined;
      }
      case 'reserve': {
        const i = a as number;
        if (this.holds.has(s.h)) throw new Refusal('conflict');
        this.memberCheck(m);
        const av = avail(i);
        let mc = s.mc;
        if (!s.forced) {
          // A member's hold may shrink to what is left of their limit too.
          const lim = m === null ? null : (this.members[m] as MMember).limit;
          const room = lim === null || m === null ? Number.POSITIVE_INFINITY : Math.max(0, lim - this.counted(m));
          if (s.shrinkStep !== null) {
            const affordable = Math.min(av, room);
            const shrunk = av < 0 || affordable < s.shrinkStep ? null : affordable - (affordable % s.shrinkStep);
            if (shrunk === null) {
              if (m !== null && room < av) this.checkLimit(m, s.mc);
              throw new Refusal('insufficient_credits');
            }
            mc = Math.min(shrunk, s.mc);
          }
          if (m !== null) this.checkLimit(m, mc);
          if (av < mc || av < 0) throw new Refusal('insufficient_credits');
        } else if (m !== null) (this.members[m] as MMember).forced += mc;
        // It reserves from the grants' free credits, in order.
        const alloc: { n: number; mc: number }[] = [];
        let want = mc;
        for (const g of [...A(i).grants].sort(order)) {
          const t = Math.min(free(g), want);
          if (t <= 0) continue;
          g.reserved += t;
          want -= t;
          alloc.push({ n: g.n, mc: t });
        }
        this.holds.set(s.h, { a: i, m, amount: mc, captured: 0, status: 'active', alloc });
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
        const charged = s.t === 'release' ? 0 : Math.min(s.mc, h.amount);
        const before = x.balance;
        // The charge comes out of what it reserved, in order; the rest returns to its grants,
        // or expires now from grants that expired under the hold (one expiry row each).
        const of = (n: number) => x.grants.find((g) => g.n === n) as MGrant;
        let left = charged;
        let taken = 0;
        for (const r of [...h.alloc].filter((r) => r.mc > 0).sort((p, q) => order(of(p.n), of(q.n)))) {
          const g = of(r.n);
          const t = Math.min(r.mc, left);
          left -= t;
          taken += t;
          g.reserved -= r.mc;
          g.remaining -= t;
          if (r.mc - t > 0 && g.isExpired) {
            g.remaining -= r.mc - t;
            g.expired += r.mc - t;
            x.balance -= r.mc - t;
            taken += r.mc - t;
            x.rows++;
          }
        }
        h.alloc = [];
        if (s.t === 'release') {
          h.status = s.expired ? 'expired' : 'released';
          this.spend(h.a, before, taken);
          return 0;
        }
        h.status = 'captured';
        h.captured = charged;
        x.balance -= charged;
        this.spend(h.a, before, taken);
        if (!s.dispute) {
          // A settled hold records what it was for (charged, or nothing when released).
          if (charged > 0) x.used += charged;
          x.usageRows++;
          x.usageCharged += charged;
          // A member's hold, captured, counts as what they were charged this month.
          this.charge(h.m, charged);
        }
        return charged;
      }
    }
  }
}
