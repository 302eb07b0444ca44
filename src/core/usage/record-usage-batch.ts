/**
 * A batch of usage events from the platform (POST /api/v1/usage/batch): each event stands
 * alone (validated, priced and charged on its own; idempotent by its id under the API key's
 * scope), and every event that can be charged goes through the ledger writer in one
 * transaction, so a batch of 1,000 costs about one commit (an id repeated with other content
 * after a refusal takes one more round, at most MAX_ROUNDS in all).
 */
import { hash } from 'node:crypto';
import type { z } from 'zod';
import { mcToCredits } from '../../contracts/money.js';
import { usageEvent } from '../../contracts/service.js';
import { resolveServiceMember } from '../customers/resolve-member.js';
import { DomainError } from '../errors.js';
import type { Core } from '../index.js';
import type { LedgerOp, OpResult } from '../ledger/types.js';
import { stableStringify } from '../stable-json.js';
import { serviceUsageMetadata } from './usage-metadata.js';

export type BatchStatus = 'charged' | 'duplicate' | 'insufficient_credits' | 'invalid';

export interface BatchResult {
  id: string | null;
  status: BatchStatus;
  /** Credits charged (a `charged` event). */
  charged?: number;
  usageId?: string | null;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

type Event = z.output<typeof usageEvent>;

const CONFLICT = 'An event with this id but other content was charged before; nothing was charged again.';

function errorOf(e: unknown): NonNullable<BatchResult['error']> {
  if (e instanceof DomainError) {
    if (e.code === 'insufficient_credits' && e.details) {
      return {
        code: e.code,
        message: e.message,
        details: { required: mcToCredits(Number(e.details.requiredMc)), available: mcToCredits(Number(e.details.availableMc)) },
      };
    }
    if (e.code === 'member_limit_exceeded' && e.details) {
      return {
        code: e.code,
        message: e.message,
        details: {
          limit: mcToCredits(Number(e.details.limitMc)),
          used: mcToCredits(Number(e.details.usedMc)),
          required: mcToCredits(Number(e.details.requiredMc)),
        },
      };
    }
    return e.details ? { code: e.code, message: e.message, details: e.details } : { code: e.code, message: e.message };
  }
  throw e;
}

function invalid(id: string | null, message: string, details?: Record<string, unknown>): BatchResult {
  return { id, status: 'invalid', error: details ? { code: 'validation_error', message, details } : { code: 'validation_error', message } };
}

/** Chunks of at most `n` (SQL parameter lists stay short on both databases). */
function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** An event that parsed, with the digest of its content (its idempotency key's fingerprint). */
type Parsed = { index: number; event: Event; fp: string };

/** Writer rounds of one batch at most: the first, and those for an id repeated with other content after a refusal. */
const MAX_ROUNDS = 5;

export async function recordUsageBatch(core: Core, input: { scope: string; events: unknown[] }): Promise<BatchResult[]> {
  const results: (BatchResult | undefined)[] = new Array(input.events.length);
  // Each id's events in order. The first of each goes through the writer in the first round. A
  // later one is judged as the same id in a later batch would be: after a charged event (or a
  // replay), a `duplicate` of it, with `idempotency_conflict` when its content differs; after a
  // refused one, the same refusal when its content is the same, else charged or refused on its
  // own in another round (a review found it copied the earlier refusal whatever it held).
  const byId = new Map<string, Parsed[]>();

  // 1. Each event on its own: its shape.
  input.events.forEach((raw, index) => {
    const rawId =
      raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? ((raw as { id: string }).id as string) : null;
    const r = usageEvent.safeParse(raw);
    if (!r.success) {
      const fields = r.error.issues.map((i) => ({
        path: ['events', index, ...i.path].join('.'),
        field: i.path.join('.'),
        message: `${i.path.join('.') || 'event'} ${i.message}`,
      }));
      results[index] = invalid(rawId, fields.map((f) => f.message).join('; '), { fields });
      return;
    }
    const p = { index, event: r.data, fp: hash('sha256', stableStringify(raw)) };
    const same = byId.get(r.data.id);
    if (same) same.push(p);
    else byId.set(r.data.id, [p]);
  });

  const parsed = [...byId.values()].flat();
  // 2. Their customers, in a few queries.
  const externals = [...new Set(parsed.map((p) => p.event.customer))];
  const accounts = new Map<string, { id: string; role: string }>();
  for (const part of chunks(externals, 500)) {
    // Personal customers and organisations alike (accounts.external_id); an organisation has no role.
    const rows = await core.database.db
      .selectFrom('accounts as a')
      .leftJoin('users as u', 'u.id', 'a.id')
      .select(['a.id', 'u.role', 'a.external_id'])
      .where('a.external_id', 'in', part)
      .execute();
    for (const r of rows) if (r.external_id !== null) accounts.set(r.external_id, { id: r.id, role: r.role ?? 'user' });
  }

  // 3. The first event of each id, in one transaction.
  const members = new Map<string, string | null>();
  await chargeRound(
    core,
    input.scope,
    [...byId.values()].map((events) => events[0] as Parsed),
    accounts,
    members,
    results,
  );

  // 4. The repeats, settled from what came before them; a writer round only for other content after a refusal.
  let repeated = [...byId.values()]
    .filter((events) => events.length > 1)
    .map((events) => ({ events, next: 1, anchor: null as Parsed | null }));
  for (let round = 1; repeated.length > 0; round++) {
    const toWriter: Parsed[] = [];
    for (const r of repeated) {
      for (; r.next < r.events.length; r.next++) {
        const prev = r.events[r.next - 1] as Parsed;
        const e = r.events[r.next] as Parsed;
        const before = results[prev.index] as BatchResult;
        if (before.status === 'charged' || (before.status === 'duplicate' && !before.error)) r.anchor = prev;
        if (r.anchor) {
          const anchored = results[r.anchor.index] as BatchResult;
          results[e.index] =
            e.fp === r.anchor.fp
              ? { id: e.event.id, status: 'duplicate', usageId: anchored.usageId ?? null }
              : { id: e.event.id, status: 'duplicate', error: { code: 'idempotency_conflict', message: CONFLICT } };
        } else if (e.fp === prev.fp) results[e.index] = { ...before };
        else {
          toWriter.push(e);
          break;
        }
      }
    }
    if (toWriter.length > 0) {
      if (round < MAX_ROUNDS) await chargeRound(core, input.scope, toWriter, accounts, members, results);
      else
        for (const e of toWriter)
          results[e.index] = invalid(
            e.event.id,
            `An id may carry other content after a refusal at most ${MAX_ROUNDS - 1} times in one batch.`,
          );
    }
    // An id stopped short of its end only where its next event went to the writer: that one is settled now.
    for (const r of repeated) if (r.next < r.events.length) r.next++;
    repeated = repeated.filter((r) => r.next < r.events.length);
  }
  return results as BatchResult[];
}

/** Prices and builds each event's ledger operation, then charges them all in one transaction. */
async function chargeRound(
  core: Core,
  keyScope: string,
  round: Parsed[],
  accounts: Map<string, { id: string; role: string }>,
  members: Map<string, string | null>,
  results: (BatchResult | undefined)[],
): Promise<void> {
  const ops: LedgerOp[] = [];
  const opIndex: number[] = [];
  const opIds: string[] = [];
  for (const { index, event, fp } of round) {
    try {
      const account = accounts.get(event.customer);
      if (!account)
        throw new DomainError(
          'not_found',
          `No customer ${JSON.stringify(event.customer)}; create it first with PUT /api/v1/customers/:externalId.`,
        );
      const memberKey = `${account.id}\u001f${event.member ?? ''}`;
      let memberId = members.get(memberKey);
      if (memberId === undefined) {
        memberId = await resolveServiceMember(core.database.db, account.id, event.customer, event.member);
        members.set(memberKey, memberId);
      }
      const { rule, costMc, usage } = await core.pricing.priceUsage(event.operation, event.unit, event.quantity, event.metadata);
      const common = {
        idem: {
          scope: keyScope,
          key: `event:${event.id}`,
          fingerprint: fp,
        },
        description: `${rule.description || event.operation} (${event.unit})`,
        metadata: serviceUsageMetadata(
          { operation: event.operation, unit: event.unit, quantityMilli: event.quantity, metadata: event.metadata },
          { eventId: event.id },
        ),
      };
      ops.push(
        account.role === 'super_admin'
          ? { kind: 'record_usage', userId: account.id, usage, ...common }
          : { kind: 'debit', userId: account.id, amountMc: costMc, type: 'usage', usage, memberId, ...common },
      );
      opIndex.push(index);
      opIds.push(event.id);
    } catch (e) {
      const err = errorOf(e);
      results[index] = { id: event.id, status: 'invalid', error: err };
    }
  }

  // One transaction for all of them; each operation still succeeds or fails on its own.
  if (ops.length > 0) {
    let outcomes: OpResult[];
    try {
      outcomes = await core.writer.transaction((scope) => scope.apply(ops));
    } catch (e) {
      if (e instanceof DomainError && e.code === 'overloaded') throw e;
      // The transaction failed as a whole (a race with another instance over one of the
      // event ids, say): each event again through the writer on its own, still grouped.
      outcomes = await Promise.all(
        ops.map((op) =>
          core.writer.submit(op).then(
            (value): OpResult => ({ ok: true, value }),
            (error: unknown): OpResult => {
              if (error instanceof DomainError) return { ok: false, error };
              throw error;
            },
          ),
        ),
      );
    }
    outcomes.forEach((o, k) => {
      const index = opIndex[k] as number;
      const id = opIds[k] as string;
      if (o.ok) {
        results[index] = o.value.replayed
          ? { id, status: 'duplicate', usageId: o.value.usageId ?? null }
          : { id, status: 'charged', charged: mcToCredits(-o.value.amountMc), usageId: o.value.usageId ?? null };
        return;
      }
      const err = errorOf(o.error);
      // A member's limit refuses like a short balance: `insufficient_credits`, its error says which.
      if (o.error.code === 'insufficient_credits' || o.error.code === 'member_limit_exceeded') {
        results[index] = { id, status: 'insufficient_credits', error: err };
      } else if (o.error.code === 'idempotency_conflict') {
        results[index] = {
          id,
          status: 'duplicate',
          error: { code: err.code, message: CONFLICT },
        };
      } else results[index] = { id, status: 'invalid', error: err };
    });
  }
}
