import type { Kysely } from 'kysely';

/**
 * How the ledger's chains are hashed. The release before hashed rows with plain SHA-256
 * (`sha256-v1`); the service re-hashes every chain with the ledger key at start-up
 * (core/ledger/key-ledger.ts, which needs the key, so it is not a migration) and then
 * records `hmac-sha256-v2` with the key's check value.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ledger_state')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hash_scheme', 'text', (c) => c.notNull())
    .addColumn('key_check', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await (db as Kysely<{ ledger_state: { id: string; hash_scheme: string; key_check: string | null; updated_at: number } }>)
    .insertInto('ledger_state')
    .values({ id: 'chains', hash_scheme: 'sha256-v1', key_check: null, updated_at: Date.now() })
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Not reversible.');
}
