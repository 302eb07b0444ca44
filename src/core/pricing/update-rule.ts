import type { PricingRow } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { conflict, notFound } from '../errors.js';
import type { Core } from '../index.js';
import { activeRuleId, repriceRule } from './reprice-rule.js';

export interface RuleChange {
  /** Millicredits per unit: a new price makes a new version (repriceRule). */
  credits?: number | undefined;
  description?: string | undefined;
  active?: boolean | undefined;
}

/**
 * Changes a rule: a new price is a new version; `description` and `active` change it in
 * place (activating one while another version is active is a conflict). Audited.
 */
export async function updateRule(core: Core, id: string, b: RuleChange, actorId: string): Promise<PricingRow> {
  const rule = await core.writer.transaction(async ({ trx, now }) => {
    const cur = await trx.selectFrom('credit_pricing').selectAll().where('id', '=', id).executeTakeFirst();
    if (!cur) throw notFound('Pricing rule');
    if (b.credits !== undefined && b.credits !== cur.credits_mc) return repriceRule(trx, now, cur, { ...b, credits: b.credits }, actorId);
    if (b.active === true && cur.active !== 1) {
      const other = await activeRuleId(trx, cur);
      if (other) throw conflict('Another version of this rule is active.', { ruleId: other });
    }
    const next = { ...cur, description: b.description ?? cur.description, active: b.active === undefined ? cur.active : b.active ? 1 : 0 };
    await trx.updateTable('credit_pricing').set({ description: next.description, active: next.active }).where('id', '=', cur.id).execute();
    await recordAudit(trx, { actorId, action: 'pricing.update', targetType: 'pricing', targetId: cur.id, details: { ...b } }, now);
    return next;
  });
  core.pricing.invalidate();
  return rule;
}
