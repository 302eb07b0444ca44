import { hash, randomBytes } from 'node:crypto';
import type { ApiKeysTable } from '../../db/schema.js';
import { type AuditEntry, recordAudit } from '../audit/record-audit.js';
import { newId } from '../ids.js';
import type { LedgerWriter } from '../ledger/writer.js';

export const API_KEY_PREFIX = 'ck_live_';
/** How many characters of a key are kept and shown (`ck_live_` and 6 more). */
const SHOWN = API_KEY_PREFIX.length + 6;

/** SHA-256 of a key, hex: what is stored and looked up (on every request with a key: the one-shot hash). */
export function hashApiKey(key: string): string {
  return hash('sha256', key);
}

export interface CreatedApiKey {
  row: ApiKeysTable;
  /** The key itself: shown once, never stored. */
  key: string;
}

/** The audit entry of an action on a key: the key named by its name and shown prefix, never its hash. */
export function apiKeyAudit(action: 'api_key.create' | 'api_key.revoke', row: ApiKeysTable, actorId: string | null): AuditEntry {
  return { actorId, action, targetType: 'api_key', targetId: row.id, details: { name: row.name, prefix: row.prefix } };
}

/** Makes a key (`ck_live_` + 32 random bytes in base64url), keeps its hash and prefix, audited. */
export async function createApiKey(writer: LedgerWriter, input: { name: string; actorId: string | null }): Promise<CreatedApiKey> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return writer.transaction(async ({ trx, now }) => {
    const row: ApiKeysTable = {
      id: newId(now),
      name: input.name,
      prefix: key.slice(0, SHOWN),
      hash: hashApiKey(key),
      created_by: input.actorId,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    };
    await trx.insertInto('api_keys').values(row).execute();
    await recordAudit(trx, apiKeyAudit('api_key.create', row, input.actorId), now);
    return { row, key };
  });
}
