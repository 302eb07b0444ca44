import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type PageRequest, paginate } from '../paginate.js';

/**
 * The audit log, newest first, with the names a person reads instead of raw ids: the
 * actor's email and name, the user the entry concerns (the target user, or the payer of a
 * target payment) and the target's own name where it has one (a package, an API key, a
 * webhook endpoint's URL, a pricing rule's operation and unit, an organisation's name).
 */
export async function listAudit(db: Kysely<DB>, page: PageRequest) {
  const q = db
    .selectFrom('audit_log as l')
    .leftJoin('users as a', 'a.id', 'l.actor_id')
    .leftJoin('stripe_payments as p', (j) => j.onRef('p.id', '=', 'l.target_id').on('l.target_type', '=', 'payment'))
    .leftJoin('users as t', (j) =>
      j.on((eb) =>
        eb.or([eb.and([eb('l.target_type', '=', 'user'), eb('t.id', '=', eb.ref('l.target_id'))]), eb('t.id', '=', eb.ref('p.user_id'))]),
      ),
    )
    .leftJoin('credit_packages as pk', (j) => j.onRef('pk.id', '=', 'l.target_id').on('l.target_type', '=', 'package'))
    .leftJoin('credit_pricing as r', (j) => j.onRef('r.id', '=', 'l.target_id').on('l.target_type', '=', 'pricing'))
    .leftJoin('api_keys as k', (j) => j.onRef('k.id', '=', 'l.target_id').on('l.target_type', '=', 'api_key'))
    .leftJoin('webhook_endpoints as w', (j) => j.onRef('w.id', '=', 'l.target_id').on('l.target_type', '=', 'webhook_endpoint'))
    // An adjustment names an organisation `organization`; the organisation's own entries (create, invite, join, members) `account`.
    .leftJoin('accounts as o', (j) => j.onRef('o.id', '=', 'l.target_id').on('l.target_type', 'in', ['organization', 'account']))
    .selectAll('l')
    .select([
      'a.email as actor_email',
      'a.name as actor_name',
      't.id as target_user_id',
      't.email as target_email',
      't.name as target_user_name',
      'pk.name as package_name',
      'r.operation as rule_operation',
      'r.unit as rule_unit',
      'k.name as api_key_name',
      'w.url as endpoint_url',
      'o.name as organization_name',
    ]);
  return paginate(q, 'l.id', (a) => a.id, page);
}

export type AuditRow = Awaited<ReturnType<typeof listAudit>>['rows'][number];
