import { type Kysely, sql } from 'kysely';
import {
  BIGINT,
  ID,
  REQUIRED_BIGINT,
  REQUIRED_TEXT,
  TEXT,
  TIMESTAMPS,
  UNIQUE_TEXT,
  checked,
  defineTable,
  defineTables,
  rebuildSqliteTable,
  isPostgres,
  ownedRow,
  requiredReference,
  withDefault,
} from './helpers.js';

/**
 * Accounts (issue 18): a balance belongs to an **account**, a user's personal one or an
 * organisation shared by its members.
 *
 * - `accounts`: id, kind (`personal` | `organization`), name, `external_id` (the platform's id
 *   of the account, unique where set: the service API's `customer` names a user's personal
 *   account by the user's `sub` and an organisation by the id the platform gave it, one
 *   namespace for both). **A personal account's id is its user's id**, so every existing
 *   ledger row, hash chain and `credits verify` verdict stays as it is: this migration adds
 *   one personal account per user, with the user's name and external id.
 * - The ledger's tables keep their column `user_id`; it now means the account's id. Their
 *   foreign keys move from users(id) to accounts(id) (user_credits, credit_transactions,
 *   usage_tracking, stripe_payments, credit_alerts, reservations, user_settings,
 *   vapi_calls; auth_tokens still belong to a user). On PostgreSQL the constraints are
 *   dropped and added again; SQLite cannot alter a constraint, so each of those tables is
 *   rebuilt by its documented procedure (https://www.sqlite.org/lang_altertable.html#otheralter):
 *   foreign keys off, a new table from the old CREATE statement with the reference
 *   replaced, the rows copied (the non-generated columns: user_credits.available_mc is
 *   computed), the old table dropped, the new one renamed, its indexes and triggers made
 *   again, `PRAGMA foreign_key_check`, foreign keys back on. Kysely runs SQLite migrations
 *   outside a transaction (its SQLite adapter does not support transactional DDL), which
 *   `PRAGMA foreign_keys` needs; the migration opens its own transaction after it, so it
 *   applies whole or not at all.
 * - `account_members` (organisations only: a personal account has no member rows, its user
 *   is its only holder): role `owner` | `admin` | `member` and `monthly_limit_mc` (null: no
 *   limit).
 * - `invitations`: by email, with a role; only the SHA-256 of the token is kept.
 * - `member_month_usage`: what each member of an organisation spent in a calendar month
 *   (UTC, `YYYY-MM`), kept by the ledger writer in the debit's transaction for the limits.
 * - `member_id` (the user who caused it; null on personal accounts and on rows without a
 *   member) on credit_transactions, usage_tracking, reservations and service_holds.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (await isPostgres(db)) {
    await expand(db);
    await movePostgresReferences(db);
    return;
  }
  const fk = (await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows[0]?.foreign_keys ?? 0;
  await sql`pragma foreign_keys = off`.execute(db);
  const off = (await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows[0]?.foreign_keys;
  if (Number(off) !== 0)
    throw new Error('019-accounts must run outside a transaction on SQLite (PRAGMA foreign_keys is ignored inside one)');
  try {
    await sql`begin immediate`.execute(db);
    try {
      await expand(db);
      await rebuildSqliteReferences(db);
      const broken = (await sql<Record<string, unknown>>`pragma foreign_key_check`.execute(db)).rows;
      if (broken.length > 0)
        throw new Error(`019-accounts: rows without their account after the rebuild: ${JSON.stringify(broken.slice(0, 5))}`);
      await sql`commit`.execute(db);
    } catch (e) {
      await sql`rollback`.execute(db);
      throw e;
    }
  } finally {
    await sql.raw(`pragma foreign_keys = ${Number(fk) ? 'on' : 'off'}`).execute(db);
  }
}

/** The ledger tables whose `user_id` references users(id) until now, and accounts(id) after. */
export const ACCOUNT_TABLES = [
  'user_credits',
  'credit_transactions',
  'usage_tracking',
  'stripe_payments',
  'credit_alerts',
  'reservations',
  'user_settings',
  'vapi_calls',
] as const;

/** The new tables and columns, the personal accounts (the same on both databases). */
async function expand(db: Kysely<unknown>): Promise<void> {
  await defineTable(db, 'accounts', {
    columns: {
      id: ID,
      kind: checked('text', sql`kind in ('personal', 'organization')`),
      name: REQUIRED_TEXT,
      external_id: TEXT,
      ...TIMESTAMPS,
    },
    // Unique where set: several nulls are allowed on both databases.
    indexes: { accounts_external_id: { columns: ['external_id'], unique: true } },
  });
  await sql`insert into accounts (id, kind, name, external_id, created_at, updated_at)
    select id, 'personal', name, external_id, created_at, updated_at from users`.execute(db);

  await defineTables(db, {
    account_members: {
      columns: {
        account_id: requiredReference('accounts.id'),
        user_id: requiredReference('users.id'),
        role: checked('text', sql`role in ('owner', 'admin', 'member')`),
        monthly_limit_mc: ['bigint', (c) => c.check(sql`monthly_limit_mc is null or monthly_limit_mc >= 0`)],
        ...TIMESTAMPS,
      },
      primaryKey: { account_members_pk: ['account_id', 'user_id'] },
      // The accounts a user may act on (GET /api/accounts).
      indexes: { account_members_user: ['user_id'] },
    },
    invitations: {
      columns: {
        ...ownedRow('account_id', 'accounts.id'),
        email: REQUIRED_TEXT,
        role: checked('text', sql`role in ('owner', 'admin', 'member')`),
        // SHA-256 of the token, hex; the token itself is shown once to the inviter (and mailed).
        token_hash: UNIQUE_TEXT,
        expires_at: REQUIRED_BIGINT,
        accepted_at: BIGINT,
        accepted_by: TEXT,
        created_by: REQUIRED_TEXT,
        created_at: REQUIRED_BIGINT,
      },
      indexes: { invitations_account: ['account_id', 'created_at'] },
    },
    member_month_usage: {
      columns: {
        account_id: REQUIRED_TEXT,
        user_id: REQUIRED_TEXT,
        // 'YYYY-MM', the calendar month in UTC.
        month: REQUIRED_TEXT,
        used_mc: withDefault('bigint', 0),
      },
      primaryKey: { member_month_usage_pk: ['account_id', 'user_id', 'month'] },
    },
  });

  for (const table of ['credit_transactions', 'usage_tracking', 'reservations', 'service_holds']) {
    await db.schema.alterTable(table).addColumn('member_id', 'text').execute();
  }
}

async function movePostgresReferences(db: Kysely<unknown>): Promise<void> {
  const found = (
    await sql<{ table: string; constraint: string; column: string }>`
      select t.relname as "table", c.conname as "constraint", a.attname as "column"
      from pg_constraint c
      join pg_class t on t.oid = c.conrelid
      join pg_class r on r.oid = c.confrelid
      join pg_namespace n on n.oid = t.relnamespace
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and r.relname = 'users' and n.nspname = current_schema()`.execute(db)
  ).rows;
  for (const table of ACCOUNT_TABLES) {
    const fk = found.filter((f) => f.table === table);
    if (fk.length !== 1 || fk[0]?.column !== 'user_id') {
      throw new Error(`019-accounts: expected one foreign key of ${table}.user_id to users, found ${JSON.stringify(fk)}`);
    }
    const name = fk[0].constraint;
    await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(name)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.ref(name)} foreign key (user_id) references accounts (id)`.execute(db);
  }
}

async function rebuildSqliteReferences(db: Kysely<unknown>): Promise<void> {
  for (const table of ACCOUNT_TABLES) {
    await rebuildSqliteTable(db, table, `${table}__accounts`, (created) => {
      const reference = /references "users" \("id"\)/g;
      const matches = created.match(reference)?.length ?? 0;
      if (matches !== 1) throw new Error(`019-accounts: ${table} is not as expected (${matches} references to users): ${created}`);
      return created.replace(reference, 'references "accounts" ("id")');
    });
  }
}

export { notReversible as down } from './helpers.js';
