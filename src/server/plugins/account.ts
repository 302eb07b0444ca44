/**
 * `X-Account: <accountId>`: which account a credits route, a metered route or the balance
 * stream acts on. Without it (or naming the caller's own id) the caller's personal account;
 * otherwise an organisation the caller is a member of, read from the database on every
 * request (no cache: a member removed on one instance is refused at their next request on
 * every instance). A caller who is not a member gets 404, as for any object not theirs.
 *
 * The hook is added to the routes of ACCOUNT_ROUTES by the app's onRoute hook (app.ts), so
 * one list says which routes take the header; the OpenAPI document lists it on each.
 *
 * On the routes of WRITER_CHECKED_ROUTES (metered routes whose only use of the account is
 * one charge through the credit guard) a request without an Idempotency-Key skips that read:
 * the writer's batch reads the member's row in the charge's own transaction (load-batch.ts
 * `loadMembers`, after the account's lock) and refuses a user who is not a member with 404
 * before anything is charged, so the removed member is still refused at once on every
 * instance, and the request pays one database round trip less (issue 18's speed target).
 * With an Idempotency-Key the read stays: a stored reply is answered before the writer.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Kysely } from 'kysely';
import { findMembership, isManager } from '../../core/orgs/membership.js';
import type { AccountKind, DB, MemberRole } from '../../db/schema.js';
import { HttpError } from '../http-errors.js';
import { principal } from './auth.js';

/** The 404 of an X-Account the caller holds no membership of: said so, for a member removed meanwhile. */
export const NOT_YOUR_ACCOUNT = 'No account of yours has the id in X-Account: it does not exist, or you are no longer a member of it.';

export interface RequestAccount {
  id: string;
  kind: AccountKind;
  /** The caller's role in it (`owner` of their personal account). */
  role: MemberRole;
  /** The member (the caller's user id) on an organisation; null on the personal account. */
  memberId: string | null;
  /** The member's monthly limit on an organisation (null: none; also null when not `verified`). */
  monthlyLimitMc: number | null;
  /**
   * false: the membership was not read at the request (a WRITER_CHECKED_ROUTES charge), the
   * writer's transaction checks it; `kind` is then assumed `organization` and `role` `member`.
   */
  verified: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    account: RequestAccount | null;
  }
}

/** The routes that act on an account and take `X-Account`, as "METHOD /path" of the route. */
export const ACCOUNT_ROUTES = new Set([
  'GET /api/credits/balance',
  'POST /api/credits/estimate',
  'GET /api/credits/transactions',
  'GET /api/credits/transactions.csv',
  'GET /api/credits/usage',
  'GET /api/credits/usage.csv',
  'GET /api/credits/grants',
  'GET /api/credits/alerts',
  'POST /api/credits/alerts/:id/read',
  'GET /api/credits/settings',
  'PUT /api/credits/settings',
  'GET /api/credits/holds',
  'GET /api/credits/payments',
  'POST /api/credits/purchase',
  'POST /api/credits/redeem',
  'GET /api/credits/stream',
  'POST /api/messages',
  'POST /api/vapi/calls',
  'GET /api/vapi/calls',
  'POST /api/vapi/calls/:id/end',
  'POST /api/files',
  'POST /api/workflows/:id/execute',
]);

/** The metered routes whose membership check is left to the writer's transaction (see above). */
export const WRITER_CHECKED_ROUTES = new Set(['POST /api/messages', 'POST /api/workflows/:id/execute']);

export const ACCOUNT_HEADER = 'x-account';

const personal = (userId: string): RequestAccount => ({
  id: userId,
  kind: 'personal',
  role: 'owner',
  memberId: null,
  monthlyLimitMc: null,
  verified: true,
});

/**
 * The onRequest hook (after authentication) that puts the account on the request; with
 * `writerChecks`, an organisation named without an Idempotency-Key is put there unread.
 */
export function makeResolveAccount(db: Kysely<DB>, writerChecks = false) {
  return async function resolveAccount(req: FastifyRequest, _reply: FastifyReply) {
    const p = principal(req);
    const raw = req.headers[ACCOUNT_HEADER];
    const named = Array.isArray(raw) ? raw[0] : raw;
    if (named === undefined || named === '' || named === p.id) {
      req.account = personal(p.id);
      return;
    }
    if (named.length > 100) throw new HttpError('not_found', NOT_YOUR_ACCOUNT);
    if (writerChecks && req.headers['idempotency-key'] === undefined) {
      req.account = { id: named, kind: 'organization', role: 'member', memberId: p.id, monthlyLimitMc: null, verified: false };
      return;
    }
    const m = await findMembership(db, named, p.id);
    if (!m) throw new HttpError('not_found', NOT_YOUR_ACCOUNT);
    req.account = {
      id: m.accountId,
      kind: m.kind,
      role: m.role,
      memberId: m.kind === 'organization' ? p.id : null,
      monthlyLimitMc: m.monthlyLimitMc,
      verified: true,
    };
  };
}

/** Adds the account hook after the route's own onRequest hooks (authentication) on ACCOUNT_ROUTES. */
export function accountOnRoute(db: Kysely<DB>) {
  const resolve = makeResolveAccount(db);
  const writerChecked = makeResolveAccount(db, true);
  return (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => ACCOUNT_ROUTES.has(`${m} ${route.url}`))) return;
    const deferred = methods.every((m) => WRITER_CHECKED_ROUTES.has(`${m} ${route.url}`));
    const own = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [...own, deferred ? writerChecked : resolve] as RouteOptions['onRequest'];
  };
}

/** The account the request acts on: the one X-Account named, else the caller's personal account. */
export function account(req: FastifyRequest): RequestAccount {
  return req.account ?? personal(principal(req).id);
}

/** Buying credits, changing settings, seeing payments: an organisation's owner or admin only (403 `forbidden`). */
export function requireAccountManager(req: FastifyRequest): RequestAccount {
  const a = account(req);
  if (a.kind === 'organization' && (!a.verified || !isManager(a.role))) {
    throw new HttpError('forbidden', 'Only an owner or admin of the organisation may do this.');
  }
  return a;
}

/**
 * The owner of an Idempotency-Key sent to an account's route: the caller on their personal
 * account (as before accounts), the member within the organisation otherwise, so one key
 * used on two accounts is two operations.
 */
export function idempotencyScope(req: FastifyRequest): string {
  const a = account(req);
  return a.kind === 'personal' ? a.id : `${a.id}/${principal(req).id}`;
}

/** Whether the charge is waived: a super admin on their own account only (an organisation's credits are always spent). */
export function bypassCharges(req: FastifyRequest): boolean {
  return account(req).kind === 'personal' && principal(req).role === 'super_admin';
}
