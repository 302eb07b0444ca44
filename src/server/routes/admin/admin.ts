import { sql } from 'kysely';
import {
  adjustmentBody,
  adjustmentResponse,
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
import { errorSchema, idParam, paginationQuery } from '../../../contracts/common.js';
import { packagesList, pricingRulesList } from '../../../contracts/credits.js';
import { setRole } from '../../../core/accounts/set-role.js';
import { recordAudit } from '../../../core/audit/record-audit.js';
import { DomainError, conflict, notFound } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import type { Applied } from '../../../core/ledger/types.js';
import { mcToCredits } from '../../../contracts/money.js';
import { refundSimulated } from '../../../core/payments/payment-events.js';
import { type AdminPaymentRow, listAdminPayments } from '../../../core/payments/list-admin-payments.js';
import { refundWithProvider } from '../../../core/payments/stripe-flows.js';
import { DAY_MS, getUsage, usageRange } from '../../../core/usage/get-usage.js';
import type { PaymentRow, PricingRow, Role } from '../../../db/schema.js';
import type { App, AppContext } from '../../app.js';
import { HttpError } from '../../http-errors.js';
import { principal, requireAdmin } from '../../plugins/auth.js';
import { type StoredReply, sendReply } from '../../plugins/idempotency.js';
import { toPackage, toRule } from '../credits/catalog.js';
import { toPayment } from '../credits/account.js';
import { toTransaction } from '../credits/history.js';

interface UserWithAccount {
  id: string;
  email: string;
  name: string;
  role: Role;
  external_id: string | null;
  created_at: number;
  balance_mc: number;
  reserved_mc: number;
  available_mc: number;
  lifetime_purchased_mc: number;
  lifetime_used_mc: number;
}

function toAdminUser(u: UserWithAccount) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    balance: mcToCredits(u.balance_mc),
    reserved: mcToCredits(u.reserved_mc),
    available: mcToCredits(u.available_mc),
    lifetimePurchased: mcToCredits(u.lifetime_purchased_mc),
    lifetimeUsed: mcToCredits(u.lifetime_used_mc),
    externalId: u.external_id,
    createdAt: new Date(u.created_at).toISOString(),
  };
}

function escapeLike(s: string) {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A payment as the admin list and its CSV show it. */
export function toAdminPayment(p: AdminPaymentRow) {
  return {
    ...toPayment(p),
    userId: p.user_id,
    userEmail: p.user_email,
    refundedCents: p.refunded_cents,
    stripePaymentIntentId: p.stripe_payment_intent_id,
    failureReason: p.failure_message,
    disputeStatus: p.dispute_status,
  };
}

export async function adminRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  // Role checked before validation: a non-admin learns nothing about admin request shapes.
  const guard = { onRequest: [ctx.authenticate, requireAdmin] };
  const doc = (summary: string, description: string) => ({ tags: ['admin'], summary, description, security: [{ bearer: [] }] });
  const denied = { 401: errorSchema, 403: errorSchema };

  const usersQuery = () =>
    db
      .selectFrom('users as u')
      .innerJoin('user_credits as c', 'c.user_id', 'u.id')
      .select([
        'u.id',
        'u.email',
        'u.name',
        'u.role',
        'u.external_id',
        'u.created_at',
        'c.balance_mc',
        'c.reserved_mc',
        'c.available_mc',
        'c.lifetime_purchased_mc',
        'c.lifetime_used_mc',
      ]);

  app.get(
    '/api/admin/users',
    { ...guard, schema: { ...doc('Users with balances', 'Admins only. Newest first, paginated; `search` matches email or name, case-insensitively.'), querystring: adminUsersQuery, response: { 200: adminUsersPage, 400: errorSchema, ...denied } } },
    async (req) => {
      const cursor = ctx.cursors.decode<{ id: string }>(req.query.cursor);
      let q = usersQuery();
      if (req.query.search) {
        const like = `%${escapeLike(req.query.search.toLowerCase())}%`;
        q = q.where((eb) =>
          eb.or([
            eb(sql`lower(u.email)`, 'like', sql`${like} escape '\\'`),
            eb(sql`lower(u.name)`, 'like', sql`${like} escape '\\'`),
          ]),
        );
      }
      if (cursor) q = q.where('u.id', '<', String(cursor.id));
      const rows = await q.orderBy('u.id', 'desc').limit(req.query.limit + 1).execute();
      const more = rows.length > req.query.limit;
      if (more) rows.length = req.query.limit;
      return { items: rows.map(toAdminUser), nextCursor: more ? ctx.cursors.encode({ id: (rows.at(-1) as UserWithAccount).id }) : null };
    },
  );

  app.get(
    '/api/admin/users/:id',
    { ...guard, schema: { ...doc('One user', 'Admins only. The user with balance, the last 20 ledger rows and the last 20 payments.'), params: idParam, response: { 200: userDetail, 404: errorSchema, ...denied } } },
    async (req) => {
      const u = await usersQuery().where('u.id', '=', req.params.id).executeTakeFirst();
      if (!u) throw notFound('User');
      const [transactions, payments] = await Promise.all([
        db.selectFrom('credit_transactions').selectAll().where('user_id', '=', u.id).orderBy('seq', 'desc').limit(20).execute(),
        db.selectFrom('stripe_payments').selectAll().where('user_id', '=', u.id).orderBy('id', 'desc').limit(20).execute(),
      ]);
      return { user: toAdminUser(u), transactions: transactions.map(toTransaction), payments: payments.map(toPayment) };
    },
  );

  app.post(
    '/api/admin/users/:id/adjustments',
    {
      ...guard,
      schema: {
        ...doc('Adjust a user’s credits', 'Admins only. A signed `amount` of credits (positive grants, negative takes; a debit below zero available is 402) and a required `reason`, written as an `adjustment` ledger row and an audit entry. Takes an `Idempotency-Key`.'),
        params: idParam,
        body: adjustmentBody,
        response: { 201: adjustmentResponse, 400: errorSchema, 402: errorSchema, 404: errorSchema, 409: errorSchema, ...denied },
      },
    },
    async (req, reply) => {
      const admin = principal(req);
      const target = await db.selectFrom('users').select('id').where('id', '=', req.params.id).executeTakeFirst();
      if (!target) throw notFound('User');
      const { amount, reason } = req.body;
      const r = await ctx.idempotency.run(
        req,
        {
          scope: admin.id,
          render: (a: Applied) => ({
            status: 201,
            body: {
              transaction: {
                id: a.transactionId as string,
                type: 'adjustment' as const,
                amount: mcToCredits(a.amountMc),
                reservedChange: 0,
                balanceAfter: mcToCredits(a.balanceMc),
                description: reason,
                metadata: { reason, actorId: admin.id },
                createdAt: new Date(a.createdAt).toISOString(),
              },
              balance: { balance: mcToCredits(a.balanceMc), reserved: mcToCredits(a.reservedMc), available: mcToCredits(a.availableMc) },
            },
          }),
        },
        (idem) => {
          const common = {
            idem,
            description: reason,
            metadata: { reason, actorId: admin.id },
            refType: 'admin',
            refId: admin.id,
            effects: async (trx: typeof db, a: Applied) =>
              recordAudit(trx, { actorId: admin.id, action: 'credits.adjust', targetType: 'user', targetId: target.id, details: { amountMc: amount, reason, transactionId: a.transactionId } }, a.createdAt),
          };
          return amount > 0
            ? ctx.core.ledger.grant(target.id, amount, 'adjustment', common)
            : ctx.core.ledger.debit(target.id, -amount, 'adjustment', common);
        },
      );
      return sendReply(reply, r);
    },
  );

  app.patch(
    '/api/admin/users/:id',
    { ...guard, schema: { ...doc('Change a user’s role', 'Admins only; only a super admin grants or removes `admin` and `super_admin`. Audited; applies at once. The last super admin cannot lose the role (409 `conflict`), by their own hand or anyone’s, so someone can always grant roles.'), params: idParam, body: roleBody, response: { 200: roleResponse, 400: errorSchema, 404: errorSchema, 409: errorSchema, ...denied } } },
    async (req) => {
      const actor = principal(req);
      const target = await db.selectFrom('users').select(['id', 'role']).where('id', '=', req.params.id).executeTakeFirst();
      if (!target) throw notFound('User');
      const role = req.body.role;
      if (actor.role !== 'super_admin' && (role !== 'user' || target.role !== 'user')) {
        throw new HttpError('forbidden', 'Only a super admin grants or removes administrator roles.');
      }
      await setRole(ctx.core.writer, { userId: target.id, role, actorId: actor.id, dialect: ctx.core.database.dialect });
      ctx.users.invalidate(target.id);
      const u = await usersQuery().where('u.id', '=', target.id).executeTakeFirstOrThrow();
      return { user: toAdminUser(u) };
    },
  );

  app.get(
    '/api/admin/packages',
    { ...guard, schema: { ...doc('All packages', 'Admins only. Every package, inactive ones too.'), response: { 200: packagesList, ...denied } } },
    async () => ({ items: (await db.selectFrom('credit_packages').selectAll().orderBy('price_cents').orderBy('id').execute()).map(toPackage) }),
  );

  app.post(
    '/api/admin/packages',
    { ...guard, schema: { ...doc('Create a package', 'Admins only. `credits` and `bonusCredits` in credits, `priceCents` at least 50, `currency` a lower-case ISO code (`usd`). Audited.'), body: packageCreate, response: { 201: packageResponse, 400: errorSchema, ...denied } } },
    async (req, reply) => {
      const actor = principal(req);
      const b = req.body;
      const row = await ctx.core.writer.transaction(async ({ trx, now }) => {
        const r = {
          id: `pkg_${newId(now)}`,
          name: b.name,
          credits_mc: b.credits,
          bonus_credits_mc: b.bonusCredits,
          price_cents: b.priceCents,
          currency: b.currency,
          popular: b.popular ? 1 : 0,
          active: 1,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto('credit_packages').values(r).execute();
        await recordAudit(trx, { actorId: actor.id, action: 'package.create', targetType: 'package', targetId: r.id, details: { name: r.name } }, now);
        return r;
      });
      return reply.status(201).send({ package: toPackage(row) });
    },
  );

  app.patch(
    '/api/admin/packages/:id',
    { ...guard, schema: { ...doc('Change a package', 'Admins only. Any subset of the fields, and `active`: a package is deactivated, never deleted, so past payments keep it. Audited.'), params: idParam, body: packagePatch, response: { 200: packageResponse, 400: errorSchema, 404: errorSchema, ...denied } } },
    async (req) => {
      const actor = principal(req);
      const b = req.body;
      const row = await ctx.core.writer.transaction(async ({ trx, now }) => {
        const cur = await trx.selectFrom('credit_packages').selectAll().where('id', '=', req.params.id).executeTakeFirst();
        if (!cur) throw notFound('Package');
        const next = {
          ...cur,
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.credits !== undefined ? { credits_mc: b.credits } : {}),
          ...(b.bonusCredits !== undefined ? { bonus_credits_mc: b.bonusCredits } : {}),
          ...(b.priceCents !== undefined ? { price_cents: b.priceCents } : {}),
          ...(b.currency !== undefined ? { currency: b.currency } : {}),
          ...(b.popular !== undefined ? { popular: b.popular ? 1 : 0 } : {}),
          ...(b.active !== undefined ? { active: b.active ? 1 : 0 } : {}),
          updated_at: now,
        };
        await trx.updateTable('credit_packages').set(next).where('id', '=', cur.id).execute();
        await recordAudit(trx, { actorId: actor.id, action: 'package.update', targetType: 'package', targetId: cur.id, details: { ...b } }, now);
        return next;
      });
      return { package: toPackage(row) };
    },
  );

  app.get(
    '/api/admin/pricing',
    { ...guard, schema: { ...doc('All pricing rules', 'Admins only. Every rule with all its versions (`version`, `active`).'), response: { 200: pricingRulesList, ...denied } } },
    async () => ({
      items: (await db.selectFrom('credit_pricing').selectAll().orderBy('operation').orderBy('unit').orderBy('version', 'desc').execute()).map(toRule),
    }),
  );

  app.post(
    '/api/admin/pricing',
    { ...guard, schema: { ...doc('Create a pricing rule', 'Admins only. `credits` per `unit` of `operation` (lower-case letters, digits and `_`); 409 when an active rule for that operation and unit exists. `credits` is the price of one unit (one minute, one MB, 1000 tokens, one call...); callers report quantities in the unit’s base quantity (seconds, bytes, tokens, a count: see the units table). Audited.'), body: pricingCreate, response: { 201: ruleResponse, 400: errorSchema, 409: errorSchema, ...denied } } },
    async (req, reply) => {
      const actor = principal(req);
      const b = req.body;
      const rule = await ctx.core.writer.transaction(async ({ trx, now }) => {
        const active = await trx.selectFrom('credit_pricing').select('id').where('operation', '=', b.operation).where('unit', '=', b.unit).where('active', '=', 1).executeTakeFirst();
        if (active) throw conflict('An active rule for this operation and unit exists: change it instead.', { ruleId: active.id });
        const last = await trx.selectFrom('credit_pricing').select((eb) => eb.fn.max('version').as('v')).where('operation', '=', b.operation).where('unit', '=', b.unit).executeTakeFirst();
        const r: PricingRow = {
          id: `rule_${newId(now)}`,
          operation: b.operation,
          unit: b.unit,
          credits_mc: b.credits,
          description: b.description ?? '',
          version: Number(last?.v ?? 0) + 1,
          active: 1,
          supersedes_id: null,
          created_at: now,
        };
        await trx.insertInto('credit_pricing').values(r).execute();
        await recordAudit(trx, { actorId: actor.id, action: 'pricing.create', targetType: 'pricing', targetId: r.id, details: { operation: r.operation, unit: r.unit, creditsMc: r.credits_mc } }, now);
        return r;
      });
      ctx.core.pricing.invalidate();
      return reply.status(201).send({ rule: toRule(rule) });
    },
  );

  app.patch(
    '/api/admin/pricing/:id',
    {
      ...guard,
      schema: {
        ...doc('Change a pricing rule', 'Admins only. A new `credits` makes a new version (a new id, answered) and deactivates the old one; it applies to operations after it and never rewrites history. `description` and `active` change the rule in place. Audited.'),
        params: idParam,
        body: pricingPatch,
        response: { 200: ruleResponse, 400: errorSchema, 404: errorSchema, 409: errorSchema, ...denied },
      },
    },
    async (req) => {
      const actor = principal(req);
      const b = req.body;
      const rule = await ctx.core.writer.transaction(async ({ trx, now }) => {
        const cur = await trx.selectFrom('credit_pricing').selectAll().where('id', '=', req.params.id).executeTakeFirst();
        if (!cur) throw notFound('Pricing rule');
        if (b.credits !== undefined && b.credits !== cur.credits_mc) {
          if (cur.active !== 1) throw conflict('Only the active version of a rule can be repriced.');
          const last = await trx.selectFrom('credit_pricing').select((eb) => eb.fn.max('version').as('v')).where('operation', '=', cur.operation).where('unit', '=', cur.unit).executeTakeFirst();
          // Deactivate first: one active version per (operation, unit) is a unique index.
          await trx.updateTable('credit_pricing').set({ active: 0 }).where('id', '=', cur.id).execute();
          const next: PricingRow = {
            id: `rule_${newId(now)}`,
            operation: cur.operation,
            unit: cur.unit,
            credits_mc: b.credits,
            description: b.description ?? cur.description,
            version: Number(last?.v ?? cur.version) + 1,
            active: b.active === false ? 0 : 1,
            supersedes_id: cur.id,
            created_at: now,
          };
          await trx.insertInto('credit_pricing').values(next).execute();
          await recordAudit(trx, { actorId: actor.id, action: 'pricing.reprice', targetType: 'pricing', targetId: next.id, details: { from: cur.id, fromMc: cur.credits_mc, toMc: b.credits } }, now);
          return next;
        }
        if (b.active === true && cur.active !== 1) {
          const other = await trx.selectFrom('credit_pricing').select('id').where('operation', '=', cur.operation).where('unit', '=', cur.unit).where('active', '=', 1).executeTakeFirst();
          if (other) throw conflict('Another version of this rule is active.', { ruleId: other.id });
        }
        const next = { ...cur, description: b.description ?? cur.description, active: b.active === undefined ? cur.active : b.active ? 1 : 0 };
        await trx.updateTable('credit_pricing').set({ description: next.description, active: next.active }).where('id', '=', cur.id).execute();
        await recordAudit(trx, { actorId: actor.id, action: 'pricing.update', targetType: 'pricing', targetId: cur.id, details: { ...b } }, now);
        return next;
      });
      ctx.core.pricing.invalidate();
      return { rule: toRule(rule) };
    },
  );

  app.get(
    '/api/admin/payments',
    {
      ...guard,
      schema: {
        ...doc(
          'Payments of every user',
          'Admins only. Payment monitoring: newest first, paginated, filtered by `status`, `userId` and creation time (`from`, `to`); each with the payer’s email, the Stripe PaymentIntent, the failure reason, the refunded amount in cents and the dispute status. `GET /api/admin/payments.csv` gives every row under the same filters.',
        ),
        querystring: adminPaymentsQuery,
        response: { 200: adminPaymentsPage, 400: errorSchema, ...denied },
      },
    },
    async (req) => {
      const cursor = ctx.cursors.decode<{ id: string }>(req.query.cursor);
      const { status, userId, from, to } = req.query;
      const page = await listAdminPayments(db, { status, userId, from, to }, { limit: req.query.limit, afterId: cursor ? String(cursor.id) : null });
      return { items: page.items.map(toAdminPayment), nextCursor: page.nextId ? ctx.cursors.encode({ id: page.nextId }) : null };
    },
  );

  app.post(
    '/api/admin/payments/:id/refund',
    {
      ...guard,
      schema: { ...doc('Refund a payment', 'Admins only. Refunds `amountCents` (the whole remaining amount by default; more than remains is 400) through Stripe or the simulated provider and takes back the same share of the credits the payment granted. Takes an `Idempotency-Key`.'), params: idParam, body: refundBody, response: { 200: refundResponse, 400: errorSchema, 404: errorSchema, 503: errorSchema, ...denied } },
    },
    async (req, reply) => {
      const actor = principal(req);
      const render = (p: PaymentRow): StoredReply => ({ status: 200, body: { payment: { ...toPayment(p), refundedCents: p.refunded_cents } } });
      const r = await ctx.idempotency.runOutside(req, actor.id, async (key) => {
        const p = await db.selectFrom('stripe_payments').select('provider').where('id', '=', req.params.id).executeTakeFirst();
        if (!p) throw notFound('Payment');
        if (p.provider === 'simulated') {
          // The key and its reply are stored in the refund's own transaction.
          const idem = key === null ? undefined : { scope: actor.id, key, fingerprint: ctx.idempotency.fingerprint(req), reply: render };
          const out = await refundSimulated(ctx.core, req.params.id, req.body.amountCents, actor.id, idem);
          return out.replayed ? { ...(out.reply as StoredReply), replayed: true } : render(out.payment);
        }
        const stripe = ctx.services.payments;
        if (!stripe) throw new DomainError('payments_unavailable', 'Stripe is not configured on this server.');
        return render(await refundWithProvider(ctx.core, stripe, req.params.id, req.body.amountCents, actor.id, key));
      });
      return sendReply(reply, r);
    },
  );

  app.get(
    '/api/admin/analytics',
    {
      ...guard,
      schema: {
        ...doc('Revenue and usage', 'Admins only. Over `from`..`to` (default: the last 30 days): revenue net of refunds, credits sold and used, active users, payments succeeded and failed, usage by operation (with quantities in base units) and a daily series.'),
        querystring: analyticsQuery,
        response: {
          200: analyticsResponse,
          400: errorSchema,
          ...denied,
        },
      },
    },
    async (req) => {
      const range = usageRange(Date.now(), { from: req.query.from, to: req.query.to, granularity: 'day' });
      const [usage, pays, active] = await Promise.all([
        getUsage(db, null, range),
        db.selectFrom('stripe_payments').select(['status', 'amount_cents', 'refunded_cents', 'credits_mc', 'bonus_credits_mc', 'created_at']).where('created_at', '>=', range.from).where('created_at', '<', range.to).execute(),
        db
          .selectFrom('usage_rollups')
          .select((eb) => eb.fn.count<number>('user_id').distinct().as('n'))
          .where('bucket', '>=', range.from - (range.from % 3_600_000))
          .where('bucket', '<', range.to)
          .executeTakeFirst(),
      ]);
      const paid = pays.filter((p) => p.status !== 'pending' && p.status !== 'failed');
      const revenueByDay = new Map<number, number>();
      for (const p of paid) {
        const d = p.created_at - (p.created_at % DAY_MS);
        revenueByDay.set(d, (revenueByDay.get(d) ?? 0) + p.amount_cents - p.refunded_cents);
      }
      return {
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        revenueCents: paid.reduce((s, p) => s + p.amount_cents - p.refunded_cents, 0),
        creditsSold: mcToCredits(paid.reduce((s, p) => s + p.credits_mc + p.bonus_credits_mc, 0)),
        creditsUsed: mcToCredits(usage.totalMc),
        activeUsers: Number(active?.n ?? 0),
        payments: { succeeded: paid.length, failed: pays.filter((p) => p.status === 'failed').length },
        byOperation: usage.byOperation.map((o) => ({ operation: o.operation, unit: o.unit, credits: mcToCredits(o.mc), operations: o.operations, quantity: o.quantityMilli / 1000 })),
        series: usage.series.map((s) => ({ bucket: new Date(s.bucket).toISOString(), revenueCents: revenueByDay.get(s.bucket) ?? 0, creditsUsed: mcToCredits(s.mc) })),
      };
    },
  );

  app.get(
    '/api/admin/audit',
    { ...guard, schema: { ...doc('Audit log', 'Admins only. Newest first, paginated: who did what to which target (adjustments, role changes, package and price changes, refunds, setup).'), querystring: paginationQuery, response: { 200: auditPage, 400: errorSchema, ...denied } } },
    async (req) => {
      const cursor = ctx.cursors.decode<{ id: string }>(req.query.cursor);
      let q = db.selectFrom('audit_log').selectAll();
      if (cursor) q = q.where('id', '<', String(cursor.id));
      const rows = await q.orderBy('id', 'desc').limit(req.query.limit + 1).execute();
      const more = rows.length > req.query.limit;
      if (more) rows.length = req.query.limit;
      return {
        items: rows.map((a) => ({
          id: a.id,
          actorId: a.actor_id,
          action: a.action,
          targetType: a.target_type,
          targetId: a.target_id,
          details: a.details ? (JSON.parse(a.details) as Record<string, unknown>) : null,
          createdAt: new Date(a.created_at).toISOString(),
        })),
        nextCursor: more ? ctx.cursors.encode({ id: (rows.at(-1) as { id: string }).id }) : null,
      };
    },
  );
}
