import type { Kysely } from 'kysely';
import { ID, REQUIRED_BIGINT, REQUIRED_TEXT, TEXT, defineTable } from './helpers.js';

/**
 * How the ledger's chains are hashed. The release before hashed rows with plain SHA-256
 * (`sha256-v1`); the service re-hashes every chain with the ledger key at start-up
 * (core/ledger/key-ledger.ts, which needs the key, so it is not a migration) and then
 * records `hmac-sha256-v2` with the key's check value.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await defineTable(db, 'ledger_state', {
    columns: {
      id: ID,
      hash_scheme: REQUIRED_TEXT,
      key_check: TEXT,
      updated_at: REQUIRED_BIGINT,
    },
  });
  await (db as Kysely<{ ledger_state: { id: string; hash_scheme: string; key_check: string | null; updated_at: number } }>)
    .insertInto('ledger_state')
    .values({ id: 'chains', hash_scheme: 'sha256-v1', key_check: null, updated_at: Date.now() })
    .execute();
}

export { notReversible as down } from './helpers.js';
