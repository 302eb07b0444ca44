import type { ServerResponse } from 'node:http';
import { errorSchema, idParam, paginationQuery } from '../../../contracts/common.js';
import {
  alertReadResponse,
  alertsPage,
  paymentsPage,
  purchaseBody,
  purchaseResponse,
  settingsSchema,
  settingsUpdate,
} from '../../../contracts/credits-extra.js';
import { type Settings, getSettings, updateSettings } from '../../../core/accounts/settings.js';
import { DomainError, notFound } from '../../../core/errors.js';
import { mcToCredits } from '../../../contracts/money.js';
import { purchaseSimulated } from '../../../core/payments/purchase-credits.js';
import { purchaseWithProvider } from '../../../core/payments/stripe-flows.js';
import type { PaymentRow } from '../../../db/schema.js';
import type { App, AppContext } from '../../app.js';
import { principal } from '../../plugins/auth.js';
import { sendReply } from '../../plugins/idempotency.js';
import { toBalance } from './catalog.js';

export function toSettings(s: Settings) {
  return {
    lowBalanceThreshold: mcToCredits(s.lowBalanceThresholdMc),
    autoRecharge: {
      enabled: s.autoRecharge.enabled,
      thresholdCredits: s.autoRecharge.thresholdMc === null ? null : mcToCredits(s.autoRecharge.thresholdMc),
      packageId: s.autoRecharge.packageId,
    },
  };
}

export function toPayment(p: PaymentRow) {
  return {
    id: p.id,
    status: p.status,
    provider: p.provider,
    amountCents: p.amount_cents,
    currency: p.currency,
    credits: mcToCredits(p.credits_mc + p.bonus_credits_mc),
    packageId: p.package_id,
    createdAt: new Date(p.created_at).toISOString(),
    receiptUrl: p.receipt_url,
  };
}

export async function accountRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const auth = { onRequest: ctx.authenticate };
  const streams = new Set<ServerResponse>();
  /** Each user's open streams on this instance, oldest first (at most MAX_STREAMS_PER_USER). */
  const streamsOf = new Map<string, ServerResponse[]>();

  app.get(
    '/api/credits/alerts',
    {
      ...auth,
      schema: { tags: ['credits'], summary: 'In-app alerts', description: 'Newest first, paginated, with the number still unread: low balance (once per crossing of the threshold), depleted, purchase succeeded, payment failed, auto-recharge succeeded or failed, refund.', security: [{ bearer: [] }], querystring: paginationQuery, response: { 200: alertsPage, 400: errorSchema, 401: errorSchema } },
    },
    async (req) => {
      const p = principal(req);
      const cursor = ctx.cursors.decode<{ id: string }>(req.query.cursor);
      let q = db.selectFrom('credit_alerts').selectAll().where('user_id', '=', p.id);
      if (cursor) q = q.where('id', '<', String(cursor.id));
      const rows = await q.orderBy('id', 'desc').limit(req.query.limit + 1).execute();
      const more = rows.length > req.query.limit;
      if (more) rows.length = req.query.limit;
      const unread = await db
        .selectFrom('credit_alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', p.id)
        .where('read', '=', 0)
        .executeTakeFirstOrThrow();
      return {
        items: rows.map((a) => ({ id: a.id, type: a.type, message: a.message, read: a.read === 1, createdAt: new Date(a.created_at).toISOString() })),
        nextCursor: more ? ctx.cursors.encode({ id: (rows[rows.length - 1] as { id: string }).id }) : null,
        unread: Number(unread.n),
      };
    },
  );

  app.post(
    '/api/credits/alerts/:id/read',
    {
      ...auth,
      schema: {
        tags: ['credits'], summary: 'Mark an alert read', description: 'Marks one of the user’s alerts read; another user’s alert id is 404.',
        security: [{ bearer: [] }],
        params: idParam,
        response: { 200: alertReadResponse, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const p = principal(req);
      const r = await db
        .updateTable('credit_alerts')
        .set({ read: 1 })
        .where('id', '=', req.params.id)
        .where('user_id', '=', p.id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound('Alert');
      return { id: req.params.id, read: true as const };
    },
  );

  app.get(
    '/api/credits/settings',
    { ...auth, schema: { tags: ['credits'], summary: 'Alert and auto-recharge settings', description: 'The low-balance threshold in credits and the auto-recharge settings: when `enabled`, the package `packageId` is bought with the saved card whenever the available balance falls below `thresholdCredits`.', security: [{ bearer: [] }], response: { 200: settingsSchema, 401: errorSchema } } },
    async (req) => toSettings(await getSettings(db, principal(req).id)),
  );

  app.put(
    '/api/credits/settings',
    {
      ...auth,
      schema: { tags: ['credits'], summary: 'Change alert and auto-recharge settings', description: 'Takes any subset and answers the whole. `thresholdCredits` and `packageId` are required when `enabled` is true. Unknown fields are 400.', security: [{ bearer: [] }], body: settingsUpdate, response: { 200: settingsSchema, 400: errorSchema, 401: errorSchema } },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body;
      const next = await updateSettings(
        db,
        p.id,
        {
          lowBalanceThresholdMc: b.lowBalanceThreshold,
          autoRecharge: b.autoRecharge && {
            enabled: b.autoRecharge.enabled,
            thresholdMc: b.autoRecharge.thresholdCredits,
            packageId: b.autoRecharge.packageId,
          },
        },
        Date.now(),
      );
      ctx.services.thresholds?.invalidate(p.id);
      ctx.services.autoRecharge?.invalidate(p.id);
      return toSettings(next);
    },
  );

  app.get(
    '/api/credits/payments',
    {
      ...auth,
      schema: { tags: ['payments'], summary: 'Payments of the signed-in user', description: 'Newest first, paginated. `status` is one of pending, succeeded, failed, refunded, partially_refunded, disputed; `credits` is package credits plus bonus.', security: [{ bearer: [] }], querystring: paginationQuery, response: { 200: paymentsPage, 400: errorSchema, 401: errorSchema } },
    },
    async (req) => {
      const p = principal(req);
      const cursor = ctx.cursors.decode<{ id: string }>(req.query.cursor);
      let q = db.selectFrom('stripe_payments').selectAll().where('user_id', '=', p.id);
      if (cursor) q = q.where('id', '<', String(cursor.id));
      const rows = await q.orderBy('id', 'desc').limit(req.query.limit + 1).execute();
      const more = rows.length > req.query.limit;
      if (more) rows.length = req.query.limit;
      return { items: rows.map(toPayment), nextCursor: more ? ctx.cursors.encode({ id: (rows[rows.length - 1] as PaymentRow).id }) : null };
    },
  );

  app.post(
    '/api/credits/purchase',
    {
      ...auth,
      schema: {
        tags: ['payments'], summary: 'Buy a credit package', description: 'With Stripe configured: creates a PaymentIntent and answers `pending` with its `clientSecret`; the credits arrive with Stripe’s webhook. Without Stripe, outside production (or with `ALLOW_SIMULATED_PAYMENTS`), the simulated provider completes at once: `succeeded`, credits added before the answer. In production without Stripe, 503 `payments_unavailable`. Send an `Idempotency-Key`: a retry with the same key and body replays the first answer and buys nothing again.',
        security: [{ bearer: [] }],
        body: purchaseBody,
        response: { 201: purchaseResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const stripe = ctx.services.payments;
      if (!stripe && ctx.config.isProduction && !ctx.config.allowSimulatedPayments) {
        throw new DomainError('payments_unavailable', 'Payments are not available on this server.');
      }
      if (stripe) {
        // Stripe: a pending payment and its PaymentIntent; credits come with the webhook.
        const r = await ctx.idempotency.runOutside(req, p.id, async (key) => {
          const out = await purchaseWithProvider(ctx.core, stripe, p.id, req.body.packageId, key);
          return {
            status: 201,
            body: {
              payment: {
                id: out.payment.id,
                status: out.payment.status,
                provider: out.payment.provider,
                amountCents: out.payment.amount_cents,
                currency: out.payment.currency,
                credits: mcToCredits(out.payment.credits_mc + out.payment.bonus_credits_mc),
              },
              clientSecret: out.clientSecret,
            },
          };
        });
        return sendReply(reply, r);
      }
      let payment: PaymentRow | null = null;
      const render = () => ({
        status: 201,
        body: {
          payment: {
            id: (payment as PaymentRow).id,
            status: (payment as PaymentRow).status,
            provider: (payment as PaymentRow).provider,
            amountCents: (payment as PaymentRow).amount_cents,
            currency: (payment as PaymentRow).currency,
            credits: mcToCredits((payment as PaymentRow).credits_mc + (payment as PaymentRow).bonus_credits_mc),
          },
          clientSecret: null,
        },
      });
      const r = await ctx.idempotency.run<PaymentRow>(
        req,
        {
          scope: p.id,
          render: (a) => {
            if (a.effects) payment = a.effects;
            return render();
          },
        },
        async (idem) => {
          const out = await purchaseSimulated(ctx.core, p.id, req.body.packageId, idem);
          payment = out.payment;
          return out.applied;
        },
      );
      return sendReply(reply, r);
    },
  );

  app.get(
    '/api/credits/stream',
    { ...auth, schema: { tags: ['credits'], summary: 'Live balance (Server-Sent Events)', description: 'A `text/event-stream`: an event `balance` with the balance object at once, then one on every change, and a comment line every 15 s to keep the connection open. Send the Bearer header (read it with `fetch`, not `EventSource`). At most MAX_STREAMS_PER_USER (default 10) streams per user are open at once on an instance: opening one more closes the oldest, which first receives an event `closed` with data `{"reason":"too_many_streams"}` (a client should not reconnect it).', security: [{ bearer: [] }] } },
    async (req, reply) => {
      const p = principal(req);
      const unlimited = p.role === 'super_admin';
      const first = toBalance(await ctx.core.ledger.balance(p.id), unlimited);
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(req.id),
      });
      const send = (b: ReturnType<typeof toBalance>) => res.write(`event: balance\ndata: ${JSON.stringify(b)}\n\n`);
      send(first);
      const unsubscribe = ctx.events.subscribe(p.id, (c) =>
        send(toBalance({ balanceMc: c.balanceMc, reservedMc: c.reservedMc, availableMc: c.availableMc, lifetimePurchasedMc: c.lifetimePurchasedMc, lifetimeUsedMc: c.lifetimeUsedMc }, unlimited)),
      );
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      heartbeat.unref();
      streams.add(res);
      const mine = streamsOf.get(p.id) ?? [];
      streamsOf.set(p.id, mine);
      mine.push(res);
      while (mine.length > ctx.config.maxStreamsPerUser) {
        const oldest = mine.shift() as ServerResponse;
        oldest.write(`event: closed\ndata: ${JSON.stringify({ reason: 'too_many_streams' })}\n\n`);
        oldest.end();
      }
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(res);
        const at = mine.indexOf(res);
        if (at >= 0) mine.splice(at, 1);
        if (mine.length === 0 && streamsOf.get(p.id) === mine) streamsOf.delete(p.id);
      });
    },
  );

  // Open streams end when the server stops, so shutdown does not wait for them.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
}
