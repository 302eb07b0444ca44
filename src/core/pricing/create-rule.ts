import type { PricingRow } from '../../db/schema.js';
import { conflict } from '../errors.js';
import type { Core } from '../index.js';
import { activeRuleId, insertRuleVersion, nextVersion } from './reprice-rule.js';

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
    const active = await activeRuleId(trx, b);
    if (active) throw conflict('An active rule for this operation and unit exists: change it instead.', { ruleId: active });
    return insertRuleVersion(
      trx,
      now,
      {
        operation: b.operation,
        unit: b.unit,
        credits_mc: b.credits,
        description: b.description ?? '',
        version: await nextVersion(trx, b, 0),
        active: 1,
        supersedes_id: null,
      },
      { actorId, action: 'pricing.create', details: { operation: b.operation, unit: b.unit, creditsMc: b.credits } },
    );
  });
  core.pricing.invalidate();
  return rule;
}
