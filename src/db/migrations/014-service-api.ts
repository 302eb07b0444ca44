import { type Kysely, sql } from 'kysely';

/**
 * The service API (issue 15):
 * - `api_keys`: keys of the platform's backends. Only the SHA-256 of a key is kept (`hash`,
 *   unique); `prefix` is its first characters, shown to tell keys apart. A revoked key keeps
 *   its row (`revoked_at`), so the list shows what existed and when it ended.
 * - `service_holds`: the holds created through `POST /api/v1/holds`. The hold itself is a
 *   ledger reservation with the same id (amount, status and expiry live there, the one
 *   truth the writer and the sweeper act on); this row says which key created it and for
 *   what quantity, and marks the reservation as one the service API may settle (a call's
 *   hold is not).
 * - `users.external_id` (the platform's id of a user: a platform token's `sub`, the service
 *   API's customer; unique where set), unless migration 013 (identity from the platform)
 *   already added it: whichever runs first adds it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(await hasExternalId(db))) {
    await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
    await sql`create unique index if not exists users_external_id on users (external_id)`.execute(db);
  }
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createTable('service_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'text', (c) => c.notNull())
    .addColumn('quantity_milli', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

/** Whether users.external_id exists (in the current schema on PostgreSQL). */
async function hasExternalId(db: Kysely<unknown>): Promise<boolean> {
  const onPg = await sql`select current_schema() as s`.execute(db).then(
    () => true,
    () => false,
  );
  if (onPg) {
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from information_schema.columns where table_schema = current_schema() and table_name = 'users' and column_name = 'external_id'`.execute(
      db,
    );
    return Number(r.rows[0]?.n ?? 0) > 0;
  }
  const r = await sql<{ name: string }>`select name from pragma_table_info('users')`.execute(db);
  return r.rows.some((c) => c.name === 'external_id');
}

export async function down(): Promise<void> {
  throw new Error('Not reversible.');
}
