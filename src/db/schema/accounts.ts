/** Users, accounts (personal and organisations) with their members and invitations, their settings, sign-in counters and mailed tokens, the setup token, service API keys, the audit log. (src/db/schema.ts gathers every table into the DB interface.) */
import type { ColumnType } from 'kysely';

export type Role = 'user' | 'admin' | 'super_admin';

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: Role;
  stripe_customer_id: string | null;
  /** When the address was proved (a verification or reset link used); null: not yet. */
  email_verified_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** The platform's id of the user (a platform token's `sub`, the service API's customer); null: built-in only. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Generation of the user's built-in tokens: raised by sign-out, a password change and a role change. */
  token_version: ColumnType<number, number | undefined, number>;
  created_at: number;
  updated_at: number;
}

export interface AuditLogTable {
  id: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  details: string | null;
  created_at: number;
}

export interface UserSettingsTable {
  /** The account's id (accounts.id, migration 019; a personal account's id is its user's). */
  user_id: string;
  low_balance_threshold_mc: number;
  auto_recharge_enabled: number;
  auto_recharge_threshold_mc: number | null;
  auto_recharge_package_id: string | null;
  /** 1 while available is below the low-balance threshold (so one alert per crossing). */
  below_threshold: number;
  /** 1 once an auto-recharge was started for the current crossing; 0 again above the threshold. */
  auto_recharge_fired: number;
  /** Declines in a row; the next attempt waits until auto_recharge_retry_at. */
  auto_recharge_failures: number;
  auto_recharge_retry_at: number;
  updated_at: number;
}

/** A fixed-window counter of sign-in attempts; `key` names what is counted. */
export interface AuthCountersTable {
  key: string;
  window_start: number;
  count: number;
}

export type AuthTokenPurpose = 'verify_email' | 'reset_password';

/** A single-use token mailed to a user; only its SHA-256 is stored. */
export interface AuthTokensTable {
  id: string;
  user_id: string;
  purpose: AuthTokenPurpose;
  token_hash: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** A one-time token that creates the first super admin; only its SHA-256 hash is kept. */
export interface SetupTokensTable {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A key of the service API; only its SHA-256 is kept. */
export interface ApiKeysTable {
  id: string;
  name: string;
  /** The key's first characters (`ck_live_` and a few more), shown to tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  hash: string;
  created_by: string | null;
  created_at: number;
  /** Updated at most once a minute per key and instance. */
  last_used_at: number | null;
  revoked_at: number | null;
}

export type AccountKind = 'personal' | 'organization';

/**
 * What holds a balance (migration 019). A personal account's id is its user's id; an
 * organisation has its own. `external_id` is the platform's id of the account (the service
 * API's `customer`): a user's `sub` for a personal account (the same as users.external_id),
 * the id the platform gave an organisation; one namespace, unique where set.
 */
export interface AccountsTable {
  id: string;
  kind: AccountKind;
  name: string;
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: number;
  updated_at: number;
}

export type MemberRole = 'owner' | 'admin' | 'member';

/** A user's membership of an organisation (personal accounts have none: their user holds them). */
export interface AccountMembersTable {
  account_id: string;
  user_id: string;
  role: MemberRole;
  /** What the member may spend of the organisation's credits per calendar month (UTC); null: no limit. */
  monthly_limit_mc: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: number;
  updated_at: number;
}

/** An invitation to an organisation by email; only the SHA-256 of its token is kept. */
export interface InvitationsTable {
  id: string;
  account_id: string;
  email: string;
  role: MemberRole;
  token_hash: string;
  expires_at: number;
  accepted_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** The user who accepted it. */
  accepted_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string;
  created_at: number;
}

/** What a member spent of an organisation's credits in a calendar month (UTC), kept in the debit's transaction. */
export interface MemberMonthUsageTable {
  account_id: string;
  user_id: string;
  /** 'YYYY-MM' in UTC. */
  month: string;
  used_mc: number;
}
