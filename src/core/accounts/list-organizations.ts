import type { Kysely } from 'kysely';
import type { DB, MemberRole } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';
import { ACCOUNT_FIGURE_COLUMNS, type AccountFigures, type ListSearch, contains } from './account-figures.js';

/** An organisation with its account's figures and its members, as the admin screens list it. */
export interface OrganizationWithMembers extends AccountFigures {
  id: string;
  name: string;
  external_id: string | null;
  created_at: number;
  members: { user_id: string; email: string; name: string; role: MemberRole; monthly_limit_mc: number | null }[];
}

function organizations(db: Kysely<DB>) {
  return db
    .selectFrom('accounts as a')
    .innerJoin('user_credits as c', 'c.user_id', 'a.id')
    .where('a.kind', '=', 'organization')
    .select(['a.id', 'a.name', 'a.external_id', 'a.created_at', ...ACCOUNT_FIGURE_COLUMNS]);
}

const ROLE_ORDER: Record<MemberRole, number> = { owner: 0, admin: 1, member: 2 };

/** The members of the given organisations in one query, by organisation: owners first, then admins, then members, each by email. */
async function membersOf(db: Kysely<DB>, ids: string[]): Promise<Map<string, OrganizationWithMembers['members']>> {
  const out = new Map<string, OrganizationWithMembers['members']>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('account_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .where('m.account_id', 'in', ids)
    .select(['m.account_id', 'm.user_id', 'u.email', 'u.name', 'm.role', 'm.monthly_limit_mc'])
    .orderBy('u.email')
    .execute();
  rows.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  for (const r of rows) {
    out.get(r.account_id)?.push({ user_id: r.user_id, email: r.email, name: r.name, role: r.role, monthly_limit_mc: r.monthly_limit_mc });
  }
  return out;
}

/**
 * Organisations with their balances and members, newest first; `search` matches the name, the
 * external id or a member's email, case-insensitively.
 */
export async function listOrganizations(db: Kysely<DB>, { search }: ListSearch, page: PageRequest): Promise<Page<OrganizationWithMembers>> {
  const orgs = organizations(db);
  const q = search
    ? orgs.where((eb) =>
        eb.or([
          contains('a.name', search),
          contains('a.external_id', search),
          eb.exists(
            eb
              .selectFrom('account_members as sm')
              .innerJoin('users as su', 'su.id', 'sm.user_id')
              .whereRef('sm.account_id', '=', 'a.id')
              .where(contains('su.email', search))
              .select('sm.user_id'),
          ),
        ]),
      )
    : orgs;
  const found = await paginate(q, 'a.id', (o) => o.id, page);
  const members = await membersOf(
    db,
    found.rows.map((o) => o.id),
  );
  return { rows: found.rows.map((o) => ({ ...o, members: members.get(o.id) ?? [] })), next: found.next };
}

/** One organisation's account; not_found when the id names none (a personal account included). */
export async function getOrganization(db: Kysely<DB>, id: string): Promise<{ id: string; name: string }> {
  const org = await db
    .selectFrom('accounts')
    .select(['id', 'name'])
    .where('id', '=', id)
    .where('kind', '=', 'organization')
    .executeTakeFirst();
  if (!org) throw notFound('Organization');
  return org;
}
