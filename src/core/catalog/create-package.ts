import type { PackageRow } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { newId } from '../ids.js';
import type { LedgerWriter } from '../ledger/writer.js';

export interface NewPackage {
  name: string;
  /** Millicredits. */
  credits: number;
  /** Millicredits. */
  bonusCredits: number;
  priceCents: number;
  currency: string;
  popular: boolean;
  /** Days the credits last after the payment; null: never expire. */
  creditsExpireInDays?: number | null | undefined;
  /** Days the bonus lasts after the payment; null: never expires. */
  bonusExpireInDays?: number | null | undefined;
}

/** A new package, active at once; audited. */
export async function createPackage(writer: LedgerWriter, b: NewPackage, actorId: string): Promise<PackageRow> {
  return writer.transaction(async ({ trx, now }) => {
    const row: PackageRow = {
      id: `pkg_${newId(now)}`,
      name: b.name,
      credits_mc: b.credits,
      bonus_credits_mc: b.bonusCredits,
      price_cents: b.priceCents,
      currency: b.currency,
      popular: b.popular ? 1 : 0,
      active: 1,
      credits_expire_in_days: b.creditsExpireInDays ?? null,
      bonus_expire_in_days: b.bonusExpireInDays ?? null,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('credit_packages').values(row).execute();
    await recordAudit(
      trx,
      { actorId, action: 'package.create', targetType: 'package', targetId: row.id, details: { name: row.name } },
      now,
    );
    return row;
  });
}
