import type { PackageRow } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { notFound } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import type { NewPackage } from './create-package.js';

/** Any subset of a package's fields, and `active`: a package is deactivated, never deleted, so past payments keep it. */
export type PackageChange = Partial<NewPackage> & { active?: boolean };

/** Changes a package in place; audited with the change. */
export async function updatePackage(writer: LedgerWriter, id: string, b: PackageChange, actorId: string): Promise<PackageRow> {
  return writer.transaction(async ({ trx, now }) => {
    const cur = await trx.selectFrom('credit_packages').selectAll().where('id', '=', id).executeTakeFirst();
    if (!cur) throw notFound('Package');
    const next: PackageRow = {
      ...cur,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.credits !== undefined ? { credits_mc: b.credits } : {}),
      ...(b.bonusCredits !== undefined ? { bonus_credits_mc: b.bonusCredits } : {}),
      ...(b.priceCents !== undefined ? { price_cents: b.priceCents } : {}),
      ...(b.currency !== undefined ? { currency: b.currency } : {}),
      ...(b.popular !== undefined ? { popular: b.popular ? 1 : 0 } : {}),
      ...(b.active !== undefined ? { active: b.active ? 1 : 0 } : {}),
      ...(b.creditsExpireInDays !== undefined ? { credits_expire_in_days: b.creditsExpireInDays } : {}),
      ...(b.bonusExpireInDays !== undefined ? { bonus_expire_in_days: b.bonusExpireInDays } : {}),
      updated_at: now,
    };
    await trx.updateTable('credit_packages').set(next).where('id', '=', cur.id).execute();
    await recordAudit(trx, { actorId, action: 'package.update', targetType: 'package', targetId: cur.id, details: { ...b } }, now);
    return next;
  });
}
