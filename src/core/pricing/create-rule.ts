import type { PricingRow } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { conflict } from '../errors.js';
import { newId } from '../ids.js';
import type { Core } from '../index.js';
import { nextVersion } from './reprice-rule.js';

export interface NewRule {
  operation: string;
  unit: string;
  /** Millicredits per unit. */
  credits: number;
  description?: string | undefined;
}

/** A new rule, version 1 (or after the last inactive version); conflict while an active rule for that operation and unit exists. Audited. */
export async function createRule(core: Core, b: NewRule, actorId: string): Promise<PricingRow> {
  const rule = await core.writer.transaction(async ({ trx, now }) => {
    const active = await trx
      .selectFrom('credit_pricing')
      .select('id')
      .where('operation', '=', b.operation)
      .where('unit', '=', b.unit)
      .where('active', '=', 1)
      .executeTakeFirst();
    if (active) throw conflict('An active rule for this operation and unit exists: change it instead.', { ruleId: active.id });
    const r: PricingRow = {
      id: `rule_${newId(now)}`,
      operation: b.operation,
      unit: b.unit,
      credits_mc: b.credits,
      description: b.description ?? '',
      version: await nextVersion(trx, b, 0),
      active: 1,
      supersedes_id: null,
      created_at: now,
    };
    await trx.insertInto('credit_pricing').values(r).execute();
    await recordAudit(
      trx,
      {
        actorId,
        action: 'pricing.create',
        targetType: 'pricing',
        targetId: r.id,
        details: { operation: r.operation, unit: r.unit, creditsMc: r.credits_mc },
      },
      now,
    );
    return r;
  });
  core.pricing.invalidate();
  return rule;
}
