import { type RawBuilder, type SqlBool, sql } from 'kysely';

/** An account's figures (its user_credits row), as the admin screens show them beside a user or an organisation. */
export interface AccountFigures {
  balance_mc: number;
  reserved_mc: number;
  available_mc: number;
  lifetime_purchased_mc: number;
  lifetime_used_mc: number;
}

/** The columns of AccountFigures, from user_credits joined as `c`. */
export const ACCOUNT_FIGURE_COLUMNS = [
  'c.balance_mc',
  'c.reserved_mc',
  'c.available_mc',
  'c.lifetime_purchased_mc',
  'c.lifetime_used_mc',
] as const;

/** The admin lists' filter: `search`, matched as each list says (contains). */
export interface ListSearch {
  search?: string | undefined;
}

/**
 * The admin lists' search on one column: `lower(column) like '%search%'`, matching `search`
 * anywhere in it, case-insensitively, its `%`, `_` and `\` taken literally.
 */
export function contains(column: string, search: string): RawBuilder<SqlBool> {
  const escaped = search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${`%${escaped}%`} escape '\\'`;
}
