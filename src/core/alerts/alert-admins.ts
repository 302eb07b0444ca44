import type { Kysely } from 'kysely';
import type { AlertType, DB } from '../../db/schema.js';
import { createAlert } from './alerts.js';

/**
 * Raises an in-app alert for every admin and super admin (the alert outbox then delivers
 * it by webhook and email where those are configured). Returns how many were written.
 */
export async function alertAdmins(
  db: Kysely<DB>,
  type: AlertType,
  message: string,
  now: number,
  metadata?: Record<string, unknown>,
): Promise<number> {
  const admins = await db.selectFrom('users').select('id').where('role', 'in', ['admin', 'super_admin']).execute();
  for (const a of admins) await createAlert(db, a.id, type, message, now, metadata);
  return admins.length;
}
