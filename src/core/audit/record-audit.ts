import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { newId } from '../ids.js';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

/** Appends an audit entry (inside the caller's transaction, so it stands or falls with the change). */
export async function recordAudit(db: Kysely<DB>, e: AuditEntry, now: number): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId(now),
      actor_id: e.actorId,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      details: e.details ? JSON.stringify(e.details) : null,
      created_at: now,
    })
    .execute();
}
