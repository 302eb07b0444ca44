import type { Kysely } from 'kysely';
import type { DB, PricingRow } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { conflict } from '../errors.js';
import { newId } from '../ids.js';

/** The version after the last one of (operation, unit); `none` when it has no version yet. */
export async function nextVersion(trx: Kysely<DB>, r: { operation: string; unit: string }, none: number): Promise<number> {
  const last = await trx
    .selectFrom('credit_pricing')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('operation', '=', r.operation)
    .where('unit', '=', r.unit)
    .executeTakeFirst();
  return Number(last?.v ?? none) + 1;
}

/** The id of the active version of (operation, unit), if one is active. */
export async function activeRuleId(trx: Kysely<DB>, r: { operation: string; unit: string }): Promise<string | undefined> {
  const active = await trx
    .selectFrom('credit_pricing')
    .select('id')
    .where('operation', '=', r.operation)
    .where('unit', '=', r.unit)
    .where('active', '=', 1)
    .executeTakeFirst();
  return active?.id;
}

/**
 * Inserts a new version of a rule (a new id; created or repriced) and audits it with
 * `action` and `details`, in the caller's transaction.
 */
export async function insertRuleVersion(
  trx: Kysely<DB>,
  now: number,
  fields: Omit<PricingRow, 'id' | 'created_at'>,
  audit: { actorId: string; action: string; details: Record<string, unknown> },
): Promise<PricingRow> {
  const row: PricingRow = { id: `rule_${newId(now)}`, ...fields, created_at: now };
  await trx.insertInto('credit_pricing').values(row).execute();
  await recordAudit(trx, { ...audit, targetType: 'pricing', targetId: row.id }, now);
  return row;
}

/**
 * A new price for a rule: a new version (a new id) supersedes the active one, which is
 * deactivated. It applies to operations after it; usage rows keep the version they were
 * charged at, so history is never rewritten. Runs inside the caller's transaction; audited.
 */
export async function repriceRule(
  trx: Kysely<DB>,
  now: number,
  cur: PricingRow,
  change: { credits: number; description?: string | undefined; active?: boolean | undefined },
  actorId: string,
): Promise<PricingRow> {
  if (cur.active !== 1) throw conflict('Only the active version of a rule can be repriced.');
  const version = await nextVersion(trx, cur, cur.version);
  // Deactivate first: one active version per (operation, unit) is a unique index.
  await trx.updateTable('credit_pricing').set({ active: 0 }).where('id', '=', cur.id).execute();
  return insertRuleVersion(
    trx,
    now,
    {
      operation: cur.operation,
      unit: cur.unit,
      credits_mc: change.credits,
      description: change.description ?? cur.description,
      version,
      active: change.active === false ? 0 : 1,
      supersedes_id: cur.id,
    },
    { actorId, action: 'pricing.reprice', details: { from: cur.id, fromMc: cur.credits_mc, toMc: change.credits } },
  );
}
