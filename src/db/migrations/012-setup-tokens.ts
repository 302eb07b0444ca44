import type { Kysely } from 'kysely';

/**
 * One-time tokens that create the first super admin from the browser (`/setup?token=`):
 * made at start-up while there is none, kept as a SHA-256 hash, used once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('setup_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Not reversible.');
}
