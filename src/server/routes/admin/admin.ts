/**
 * The admin API: users, adjustments, roles, packages, pricing, payments, analytics and the
 * audit log. Each route parses with the contract, calls one use-case and presents.
 */
import {
  adminPaymentsPage,
  adminPaymentsQuery,
  adminUsersPage,
  adminUsersQuery,
  analyticsQuery,
  analyticsResponse,
  auditPage,
  packageCreate,
  packagePatch,
  packageResponse,
  pricingCreate,
  pricingPatch,
  refundBody,
  refundResponse,
  roleBody,
  roleResponse,
  ruleResponse,
  userDetail,
} from '../../../contracts/admin.js';
import { idParam, paginationQuery } from '../../../contracts/common.js';
import { usageQuery, usageResponse } from '../../../contracts/credits-extra.js';
import { packagesList, pricingRulesList } from '../../../contracts/credits.js';
import { changeRole } from '../../../core/accounts/change-role.js';
import { getUserWithAccount } from '../../../core/accounts/get-user.js';
import { getUserDetail } from '../../../core/accounts/get-user-detail.js';
import { listUsers } from '../../../core/accounts/list-users.js';
import { listAudit } from '../../../core/audit/list-audit.js';
import { createPackage } from '../../../core/catalog/create-package.js';
import { listPackages } from '../../../core/catalog/list-packages.js';
import { updatePackage } from '../../../core/catalog/update-package.js';
import { listAdminPayments } from '../../../core/payments/list-admin-payments.js';
import { refundPayment } from '../../../core/payments/refund-payment.js';
import { createRule } from '../../../core/pricing/create-rule.js';
import { listRules } from '../../../core/pricing/list-rules.js';
import { updateRule } from '../../../core/pricing/update-rule.js';
import { getAdminAnalytics } from '../../../core/reports/get-admin-analytics.js';
import { getUsage, usageRange } from '../../../core/usage/get-usage.js';
import type { PaymentRow } from '../../../db/schema.js';
import type { App, AppContext } from '../../context.js';
import { adjustmentRoute } from './adjustment-route.js';
import { principal } from '../../plugins/auth.js';
import { type StoredReply, sendReply } from '../../plugins/idempotency.js';
import {
  toAdminPayment,
  toAlert,
  toCall,
  toSettings,
  toUsage,
  toAdminUser,
  toAnalytics,
  toAuditEntry,
  toPackage,
  toPayment,
  toRule,
  toTransaction,
} from '../../presenters.js';
import { adminOnlyRoutes, answers } from '../../route-docs.js';

export async function adminRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = adminOnlyRoutes(ctx);

  app.get(
    '/api/admin/users',
    route('Users with balances', 'Admins only. Newest first, paginated; `search` matches email or name, case-insensitively.', {
      querystring: adminUsersQuery,
      response: answers({ 200: adminUsersPage }, 400, 401, 403),
    }),
    async (req) => ctx.cursors.answer(await listUsers(db, req.query, ctx.cursors.request(req.query, 'id', String)), 'id', toAdminUser),
  );

  app.get(
    '/api/admin/users/:id',
    route('One user', 'Admins only. The user with balance, the last 20 ledger rows and the last 20 payments.', {
      params: idParam,
      response: answers({ 200: userDetail }, 401, 403, 404),
    }),
    async (req) => {
      const d = await getUserDetail(db, req.params.id);
      return {
        user: toAdminUser(d.user),
        transactions: d.transactions.map(toTransaction),
        payments: d.payments.map(toPayment),
        alerts: d.alerts.map(toAlert),
        settings: toSettings(d.settings),
        calls: d.calls.map(toCall),
      };
    },
  );

  app.get(
    '/api/admin/users/:id/usage',
    route(
      'A user’s usage report',
      'Admins only. The user’s usage report, the same as the user’s own `GET /api/credits/usage`: credits spent and operations per UTC day or hour (`granularity`) over `from`..`to` (default: the last 30 days), and per operation and unit. An unknown user is 404.',
      {
        params: idParam,
        querystring: usageQuery,
        response: answers({ 200: usageResponse }, 400, 401, 403, 404),
      },
    ),
    async (req) => {
      const user = await getUserWithAccount(db, req.params.id);
      const range = usageRange(Date.now(), req.query);
      return toUsage(range, await getUsage(db, user.id, range));
    },
  );

  adjustmentRoute(app, ctx, {
    kind: 'user',
    path: '/api/admin/users/:id/adjustments',
    summary: 'Adjust a user’s credits',
    description:
      'Admins only. A signed `amount` of credits (positive grants, negative takes; a debit below zero available is 402) and a required `reason`, written as an `adjustment` ledger row and an audit entry. A positive adjustment is a grant; `expiresAt` (in the future, else 400) makes its credits expire then. Takes an `Idempotency-Key`.',
  });

  app.patch(
    '/api/admin/users/:id',
    route(
      'Change a user’s role',
      'Admins only; only a super admin grants or removes `admin` and `super_admin`. Audited; applies at once. The last super admin cannot lose the role (409 `conflict`), by their own hand or anyone’s, so someone can always grant roles.',
      {
        params: idParam,
        body: roleBody,
        response: answers({ 200: roleResponse }, 400, 401, 403, 404, 409),
      },
    ),
    async (req) => {
      const actor = principal(req);
      const userId = req.params.id;
      await changeRole(ctx.core.writer, {
        userId,
        role: req.body.role,
        actorId: actor.id,
        actorRole: actor.role,
        dialect: ctx.core.database.dialect,
      });
      ctx.users.invalidate(userId);
      return { user: toAdminUser(await getUserWithAccount(db, userId)) };
    },
  );

  app.get(
    '/api/admin/packages',
    route('All packages', 'Admins only. Every package, inactive ones too.', {
      response: answers({ 200: packagesList }, 401, 403),
    }),
    async () => ({ items: (await listPackages(db, { includeInactive: true })).map(toPackage) }),
  );

  app.post(
    '/api/admin/packages',
    route(
      'Create a package',
      'Admins only. `credits` and `bonusCredits` in credits, `priceCents` at least 50, `currency` a lower-case ISO code (`usd`). Audited.',
      {
        body: packageCreate,
        response: answers({ 201: packageResponse }, 400, 401, 403),
      },
    ),
    async (req, reply) => reply.status(201).send({ package: toPackage(await createPackage(ctx.core.writer, req.body, principal(req).id)) }),
  );

  app.patch(
    '/api/admin/packages/:id',
    route(
      'Change a package',
      'Admins only. Any subset of the fields, and `active`: a package is deactivated, never deleted, so past payments keep it. Audited.',
      {
        params: idParam,
        body: packagePatch,
        response: answers({ 200: packageResponse }, 400, 401, 403, 404),
      },
    ),
    async (req) => ({ package: toPackage(await updatePackage(ctx.core.writer, req.params.id, req.body, principal(req).id)) }),
  );

  app.get(
    '/api/admin/pricing',
    route('All pricing rules', 'Admins only. Every rule with all its versions (`version`, `active`).', {
      response: answers({ 200: pricingRulesList }, 401, 403),
    }),
    async () => ({ items: (await listRules(db)).map(toRule) }),
  );

  app.post(
    '/api/admin/pricing',
    route(
      'Create a pricing rule',
      'Admins only. `credits` per `unit` of `operation` (lower-case letters, digits and `_`); 409 when an active rule for that operation and unit exists. `credits` is the price of one unit (one minute, one MB, 1000 tokens, one call...); callers report quantities in the unit’s base quantity (seconds, bytes, tokens, a count: see the units table). Audited.',
      {
        body: pricingCreate,
        response: answers({ 201: ruleResponse }, 400, 401, 403, 409),
      },
    ),
    async (req, reply) => reply.status(201).send({ rule: toRule(await createRule(ctx.core, req.body, principal(req).id)) }),
  );

  app.patch(
    '/api/admin/pricing/:id',
    route(
      'Change a pricing rule',
      'Admins only. A new `credits` makes a new version (a new id, answered) and deactivates the old one; it applies to operations after it and never rewrites history. `description` and `active` change the rule in place. Audited.',
      {
        params: idParam,
        body: pricingPatch,
        response: answers({ 200: ruleResponse }, 400, 401, 403, 404, 409),
      },
    ),
    async (req) => ({ rule: toRule(await updateRule(ctx.core, req.params.id, req.body, principal(req).id)) }),
  );

  app.get(
    '/api/admin/payments',
    route(
      'Payments of every user',
      'Admins only. Payment monitoring: newest first, paginated, filtered by `status`, `userId` and creation time (`from`, `to`); each with the payer’s email, the Stripe PaymentIntent, the failure reason, the refunded amount in cents and the dispute status. `GET /api/admin/payments.csv` gives every row under the same filters.',
      {
        querystring: adminPaymentsQuery,
        response: answers({ 200: adminPaymentsPage }, 400, 401, 403),
      },
    ),
    async (req) =>
      ctx.cursors.answer(await listAdminPayments(db, req.query, ctx.cursors.request(req.query, 'id', String)), 'id', toAdminPayment),
  );

  app.post(
    '/api/admin/payments/:id/refund',
    route(
      'Refund a payment',
      'Admins only. Refunds `amountCents` (the whole remaining amount by default; more than remains is 400) through Stripe or the simulated provider and takes back the same share of the credits the payment granted. Takes an `Idempotency-Key`.',
      {
        params: idParam,
        body: refundBody,
        response: answers({ 200: refundResponse }, 400, 401, 403, 404, 503),
      },
    ),
    async (req, reply) => {
      const actor = principal(req);
      const render = (p: PaymentRow): StoredReply => ({
        status: 200,
        body: { payment: { ...toPayment(p), refundedCents: p.refunded_cents } },
      });
      const r = await ctx.idempotency.runOutside(req, actor.id, async (key) => {
        // With a key, a simulated refund stores it and its reply in its own transaction.
        const idem = key === null ? undefined : { scope: actor.id, key, fingerprint: ctx.idempotency.fingerprint(req), reply: render };
        const out = await refundPayment(ctx.core, ctx.services.payments, {
          paymentId: req.params.id,
          amountCents: req.body.amountCents,
          actorId: actor.id,
          key,
          idem,
        });
        return out.replayed ? { ...(out.reply as StoredReply), replayed: true } : render(out.payment);
      });
      return sendReply(reply, r);
    },
  );

  app.get(
    '/api/admin/analytics',
    route(
      'Revenue and usage',
      'Admins only. Over `from`..`to` (default: the last 30 days): revenue net of refunds, credits sold and used, active users, payments succeeded and failed, usage by operation (with quantities in base units) and a daily series.',
      {
        querystring: analyticsQuery,
        response: answers({ 200: analyticsResponse }, 400, 401, 403),
      },
    ),
    async (req) => toAnalytics(await getAdminAnalytics(db, Date.now(), req.query)),
  );

  app.get(
    '/api/admin/audit',
    route(
      'Audit log',
      'Admins only. Newest first, paginated: who did what to which target (adjustments, role changes, package and price changes, refunds, setup), with the names a person reads beside the ids: the actor’s email and name, the user the entry concerns (the target user or the payer of a target payment) and the target’s own name.',
      {
        querystring: paginationQuery,
        response: answers({ 200: auditPage }, 400, 401, 403),
      },
    ),
    async (req) => ctx.cursors.answer(await listAudit(db, ctx.cursors.request(req.query, 'id', String)), 'id', toAuditEntry),
  );
}
