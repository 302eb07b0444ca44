import { sql } from 'kysely';
import type { Role } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, conflict, notFound } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { endTokens } from './token-version.js';

export interface RoleChange {
  /** The user whose role changes. */
  userId: string;
  role: Role;
  /** Who changes it (null: an operator at the command line); recorded in the audit log. */
  actorId: string | null;
  /**
   * The changer's role, when a user changes it (absent: an operator): only a super admin
   * grants or removes `admin` and `super_admin`.
   */
  actorRole?: Role;
  dialect: 'sqlite' | 'postgres';
}

/**
 * Changes a user's role, audited, ending the user's earlier tokens. Refuses (conflict) to take the role from the last
 * super admin, by their own hand or anyone's: someone must always be able to grant roles.
 * The super admins are locked while counted (Postgres: FOR UPDATE; SQLite: the writer's
 * exclusive transaction), so two demotions racing on two instances cannot both pass.
 */
export async function changeRole(writer: LedgerWriter, input: RoleChange): Promise<{ from: Role; to: Role }> {
  return writer.transaction(async ({ trx, now }) => {
    const target = await trx.selectFrom('users').select(['id', 'role']).where('id', '=', input.userId).executeTakeFirst();
    if (!target) throw notFound('User');
    if (input.actorRole !== undefined && input.actorRole !== 'super_admin' && (input.role !== 'user' || target.role !== 'user')) {
      throw new DomainError('forbidden', 'Only a super admin grants or removes administrator roles.');
    }
    if (target.role === 'super_admin' && input.role !== 'super_admin') {
      const supers = await sql<{
        id: string;
      }>`select id from users where role = 'super_admin' order by id${sql.raw(input.dialect === 'postgres' ? ' for update' : '')}`.execute(
        trx,
      );
      const others = supers.rows.filter((r) => r.id !== target.id);
      if (others.length === 0) {
        throw conflict('This is the last super admin: make another user super admin first, so someone can still grant roles.');
      }
    }
    if (target.role !== input.role) {
      await trx.updateTable('users').set({ role: input.role, updated_at: now }).where('id', '=', target.id).execute();
      // The user's tokens end with the role they were issued under (a demoted admin signs in again, as what they are now).
      await endTokens(trx, input.dialect, target.id, now);
      await recordAudit(
        trx,
        {
          actorId: input.actorId,
          action: 'user.role',
          targetType: 'user',
          targetId: target.id,
          details: { from: target.role, to: input.role },
        },
        now,
      );
    }
    return { from: target.role, to: input.role };
  });
}
