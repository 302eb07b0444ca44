import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { invalid, notFound } from '../errors.js';
import { forSale } from '../catalog/for-sale.js';

export interface Settings {
  lowBalanceThresholdMc: number;
  autoRecharge: { enabled: boolean; thresholdMc: number | null; packageId: string | null };
}

export interface SettingsChange {
  lowBalanceThresholdMc?: number | undefined;
  autoRecharge?:
    | { enabled?: boolean | undefined; thresholdMc?: number | null | undefined; packageId?: string | null | undefined }
    | undefined;
}

/** A user's settings. */
export async function getSettings(db: Kysely<DB>, userId: string): Promise<Settings> {
  const r = await db.selectFrom('user_settings').selectAll().where('user_id', '=', userId).executeTakeFirst();
  if (!r) throw notFound('Settings');
  return {
    lowBalanceThresholdMc: r.low_balance_threshold_mc,
    autoRecharge: {
      enabled: r.auto_recharge_enabled === 1,
      thresholdMc: r.auto_recharge_threshold_mc,
      packageId: r.auto_recharge_package_id,
    },
  };
}

/**
 * Applies a partial change and answers the whole. Auto-recharge needs a threshold and an
 * active package only while enabled; saving it ends any backoff of the last failure. A new low-balance threshold re-arms the alert: the
 * account counts as "below" exactly when its available credits are under the new value.
 */
export async function updateSettings(db: Kysely<DB>, userId: string, change: SettingsChange, now: number): Promise<Settings> {
  const current = await getSettings(db, userId);
  const next: Settings = {
    lowBalanceThresholdMc: change.lowBalanceThresholdMc ?? current.lowBalanceThresholdMc,
    autoRecharge: {
      enabled: change.autoRecharge?.enabled ?? current.autoRecharge.enabled,
      thresholdMc: change.autoRecharge?.thresholdMc !== undefined ? change.autoRecharge.thresholdMc : current.autoRecharge.thresholdMc,
      packageId: change.autoRecharge?.packageId !== undefined ? change.autoRecharge.packageId : current.autoRecharge.packageId,
    },
  };
  const ar = next.autoRecharge;
  if (ar.enabled) {
    const fields: { path: string; message: string }[] = [];
    if (ar.thresholdMc === null)
      fields.push({ path: 'body.autoRecharge.thresholdCredits', message: 'required when auto-recharge is enabled' });
    if (ar.packageId === null) fields.push({ path: 'body.autoRecharge.packageId', message: 'required when auto-recharge is enabled' });
    if (fields.length > 0) throw invalid('Auto-recharge needs a threshold and a package.', { fields });
  }
  if (ar.packageId !== null && ar.packageId !== current.autoRecharge.packageId) {
    const pkg = await db.selectFrom('credit_packages').select('id').where('id', '=', ar.packageId).$call(forSale).executeTakeFirst();
    if (!pkg)
      throw invalid('There is no active package with that id.', {
        fields: [{ path: 'body.autoRecharge.packageId', message: 'unknown package' }],
      });
  }
  const account = await db.selectFrom('user_credits').select('available_mc').where('user_id', '=', userId).executeTakeFirstOrThrow();
  await db
    .updateTable('user_settings')
    .set({
      low_balance_threshold_mc: next.lowBalanceThresholdMc,
      below_threshold: account.available_mc < next.lowBalanceThresholdMc ? 1 : 0,
      auto_recharge_enabled: ar.enabled ? 1 : 0,
      auto_recharge_threshold_mc: ar.thresholdMc,
      auto_recharge_package_id: ar.packageId,
      // The user acted on auto-recharge (chose another package, say): the next crossing may try at once.
      ...(change.autoRecharge ? { auto_recharge_failures: 0, auto_recharge_retry_at: 0 } : {}),
      updated_at: now,
    })
    .where('user_id', '=', userId)
    .execute();
  return next;
}
