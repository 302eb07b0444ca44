import type { ApiKeysTable } from '../../db/schema.js';
import { announceUserChange } from '../accounts/token-version.js';
import { recordAudit } from '../audit/record-audit.js';
import { notFound } from '../errors.js';
import { apiKeyAudit } from './create-api-key.js';
import type { LedgerWriter } from '../ledger/writer.js';

/** What a revocation announces on the users' channel: every instance then forgets the keys it cached. */
export const API_KEY_REVOKED = 'api_key_revoked';

/**
 * Revokes a key: from the commit on, every instance refuses it. They read keys from the
 * database, cached at most one second; on PostgreSQL the revocation is also announced (NOTIFY,
 * delivered at commit) and every instance drops its cached keys as it hears it, so another
 * instance refuses the key at once rather than within that second. Revoking a revoked key
 * changes nothing and answers it as it is.
 */
export async function revokeApiKey(writer: LedgerWriter, input: { id: string; actorId: string | null }): Promise<ApiKeysTable> {
  return writer.transaction(async ({ trx, now }) => {
    const row = await trx.selectFrom('api_keys').selectAll().where('id', '=', input.id).executeTakeFirst();
    if (!row) throw notFound('API key');
    if (row.revoked_at !== null) return row;
    await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    await announceUserChange(trx, writer.dialect, API_KEY_REVOKED);
    await recordAudit(trx, apiKeyAudit('api_key.revoke', row, input.actorId), now);
    return { ...row, revoked_at: now };
  });
}
