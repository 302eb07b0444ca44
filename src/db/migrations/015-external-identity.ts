import { type Kysely, sql } from 'kysely';

/**
 * Identity from the platform, and revocable built-in tokens:
 * - `users.external_id`: the platform's id of the user (a platform token's `sub`, the
 *   service API's customer id); null for users who only sign in with a password. Unique
 *   where set (several nulls are allowed on both databases). The service API's migration
 *   (014) adds it too: whichever runs first adds it.
 * - `users.token_version`: the generation of the user's built-in tokens. A token carries
 *   the generation it was issued in; signing out, a password change and a role change
 *   raise it, which ends every token issued before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(await hasColumn(db, 'external_id'))) {
    await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
    await sql`create unique index if not exists users_external_id on users (external_id)`.execute(db);
  }
  await db.schema
    .alterTable('users')
    .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

/** Whether users has the column (in the current schema on PostgreSQL). */
async function hasColumn(db: Kysely<unknown>, column: string): Promise<boolean> {
  const onPg = await sql`select current_schema() as s`.execute(db).then(
    () => true,
    () => false,
  );
  if (onPg) {
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from information_schema.columns where table_schema = current_schema() and table_name = 'users' and column_name = ${column}`.execute(
      db,
    );
    return Number(r.rows[0]?.n ?? 0) > 0;
  }
  const r = await sql<{ name: string }>`select name from pragma_table_info('users')`.execute(db);
  return r.rows.some((c) => c.name === column);
}

export async function down(): Promise<void> {
  throw new Error('Not reversible.');
}
