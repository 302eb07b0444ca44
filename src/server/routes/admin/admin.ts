/**
 * The admin API: users, adjustments, roles, packages, pricing, payments, analytics and the
 * audit log. Each route parses with the contract, calls one use-case and presents.
 */
import { changeRole } from '../../../core/accounts/change-role.js';
import { getUserWithAccount } from '../../../core/accounts/get-user.js';
import { notFound } from '../../../core/errors.js';
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
import { adminOnlyRoutes } from '../../route-docs.js';
import { identifier } from '../../cursor.js';

export async function adminRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = adminOnlyRoutes(app, ctx);

  route('GET /api/admin/users', async (req) =>
    ctx.cursors.list(req, 'id', identifier, (page) => listUsers(db, req.query, page), toAdminUser),
  );

  route('GET /api/admin/users/:id', async (req) => {
    const d = await getUserDetail(db, req.params.id);
    return {
      user: toAdminUser(d.user),
      transactions: d.transactions.map(toTransaction),
      payments: d.payments.map(toPayment),
      alerts: d.alerts.map(toAlert),
      settings: toSettings(d.settings),
      calls: d.calls.map(toCall),
    };
  });

  // Any account's report (API.md: "that account's usage report"): a user's, or an organisation's by its id.
  route('GET /api/admin/users/:id/usage', async (req) => {
    const account = await db.selectFrom('accounts').select('id').where('id', '=', req.params.id).executeTakeFirst();
    if (!account) throw notFound('Account');
    const range = usageRange(Date.now(), req.query);
    return toUsage(range, await getUsage(db, account.id, range));
  });

  adjustmentRoute(app, ctx, {
    kind: 'user',
    key: 'POST /api/admin/users/:id/adjustments',
  });

  route('PATCH /api/admin/users/:id', async (req) => {
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
  });

  route('GET /api/admin/packages', async () => ({ items: (await listPackages(db, { includeInactive: true })).map(toPackage) }));

  route('POST /api/admin/packages', async (req, reply) =>
    reply.status(201).send({ package: toPackage(await createPackage(ctx.core.writer, req.body, principal(req).id)) }),
  );

  route('PATCH /api/admin/packages/:id', async (req) => ({
    package: toPackage(await updatePackage(ctx.core.writer, req.params.id, req.body, principal(req).id)),
  }));

  route('GET /api/admin/pricing', async () => ({ items: (await listRules(db)).map(toRule) }));

  route('POST /api/admin/pricing', async (req, reply) =>
    reply.status(201).send({ rule: toRule(await createRule(ctx.core, req.body, principal(req).id)) }),
  );

  route('PATCH /api/admin/pricing/:id', async (req) => ({
    rule: toRule(await updateRule(ctx.core, req.params.id, req.body, principal(req).id)),
  }));

  route('GET /api/admin/payments', async (req) =>
    ctx.cursors.list(req, 'id', identifier, (page) => listAdminPayments(db, req.query, page), toAdminPayment),
  );

  route('POST /api/admin/payments/:id/refund', async (req, reply) => {
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
  });

  route('GET /api/admin/analytics', async (req) => toAnalytics(await getAdminAnalytics(db, Date.now(), req.query)));

  route('GET /api/admin/audit', async (req) => ctx.cursors.list(req, 'id', identifier, (page) => listAudit(db, page), toAuditEntry));
}
