import type { ServerResponse } from 'node:http';
import { idParam, paginationQuery } from '../../../contracts/common.js';
import {
  alertReadResponse,
  alertsPage,
  grantsPage,
  grantsQuery,
  paymentsPage,
  purchaseBody,
  purchaseResponse,
  settingsSchema,
  settingsUpdate,
} from '../../../contracts/credits-extra.js';
import { getSettings, updateSettings } from '../../../core/accounts/settings.js';
import { listAlerts } from '../../../core/alerts/list-alerts.js';
import { listGrants } from '../../../core/ledger/list-grants.js';
import { markAlertRead } from '../../../core/alerts/mark-alert-read.js';
import { listPayments } from '../../../core/payments/list-payments.js';
import { paymentsMode, requirePayments } from '../../../core/payments/payments-mode.js';
import { purchaseSimulated } from '../../../core/payments/purchase-credits.js';
import { purchaseWithProvider } from '../../../core/payments/stripe-flows.js';
import type { PaymentRow } from '../../../db/schema.js';
import type { App, AppContext } from '../../context.js';
import { principal } from '../../plugins/auth.js';
import { account, bypassCharges, idempotencyScope, requireAccountManager } from '../../plugins/account.js';
import { sendReply } from '../../plugins/idempotency.js';
import type { ExpiringSoon } from '../../../core/ledger/expiring-soon.js';
import { toAlert, toBalance, toGrant, toPayment, toPurchasedPayment, toSettings } from '../../presenters.js';
import { answers, signedInRoutes } from '../../route-docs.js';

export async function accountRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const auth = { onRequest: ctx.authenticate };
  const route = signedInRoutes(auth, 'credits');
  const paymentsRoute = signedInRoutes(auth, 'payments');
  const streams = new Set<ServerResponse>();
  /** Each user's open streams on this instance, oldest first (at most MAX_STREAMS_PER_USER). */
  const streamsOf = new Map<string, ServerResponse[]>();

  app.get(
    '/api/credits/grants',
    route(
      'Grants: what the balance is made of',
      'Every credit that entered the account is a grant (purchase, bonus, sign-up bonus, promo, adjustment, auto-recharge) with what it brought, what is left and when it expires. Newest first, paginated; `?active=true` lists only grants with credits left that have not expired. Spending takes expiring grants first, the earliest first, promotional before paid at the same expiry.',
      { querystring: grantsQuery, response: answers({ 200: grantsPage }, 400, 401) },
    ),
    async (req) => {
      const page = await listGrants(db, account(req).id, ctx.cursors.request(req.query, 'id', String), req.query.active === true);
      return ctx.cursors.answer(page, 'id', toGrant);
    },
  );

  app.get(
    '/api/credits/alerts',
    route(
      'In-app alerts',
      'Newest first, paginated, with the number still unread: low balance (once per crossing of the threshold), depleted, purchase succeeded, payment failed, auto-recharge succeeded or failed, refund.',
      { querystring: paginationQuery, response: answers({ 200: alertsPage }, 400, 401) },
    ),
    async (req) => {
      const page = await listAlerts(db, account(req).id, ctx.cursors.request(req.query, 'id', String));
      return { ...ctx.cursors.answer(page, 'id', toAlert), unread: page.unread };
    },
  );

  app.post(
    '/api/credits/alerts/:id/read',
    route('Mark an alert read', 'Marks one of the user’s alerts read; another user’s alert id is 404.', {
      params: idParam,
      response: answers({ 200: alertReadResponse }, 401, 404),
    }),
    async (req) => {
      await markAlertRead(db, account(req).id, req.params.id);
      return { id: req.params.id, read: true as const };
    },
  );

  app.get(
    '/api/credits/settings',
    route(
      'Alert and auto-recharge settings',
      'The low-balance threshold in credits and the auto-recharge settings: when `enabled`, the package `packageId` is bought with the saved card whenever the available balance falls below `thresholdCredits`.',
      { response: answers({ 200: settingsSchema }, 401) },
    ),
    async (req) => toSettings(await getSettings(db, account(req).id)),
  );

  app.put(
    '/api/credits/settings',
    route(
      'Change alert and auto-recharge settings',
      'Takes any subset and answers the whole. `thresholdCredits` and `packageId` are required when `enabled` is true. Unknown fields are 400.',
      { body: settingsUpdate, response: answers({ 200: settingsSchema }, 400, 401) },
    ),
    async (req) => {
      const p = requireAccountManager(req);
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
    paymentsRoute(
      'Payments of the signed-in user',
      'Newest first, paginated. `status` is one of pending, succeeded, failed, refunded, partially_refunded, disputed; `credits` is package credits plus bonus.',
      { querystring: paginationQuery, response: answers({ 200: paymentsPage }, 400, 401) },
    ),
    async (req) =>
      ctx.cursors.answer(
        await listPayments(db, { userId: requireAccountManager(req).id }, ctx.cursors.request(req.query, 'id', String)),
        'id',
        toPayment,
      ),
  );

  app.post(
    '/api/credits/purchase',
    paymentsRoute(
      'Buy a credit package',
      'With Stripe configured: creates a PaymentIntent and answers `pending` with its `clientSecret`; the credits arrive with Stripe’s webhook. Without Stripe, outside production (or with `ALLOW_SIMULATED_PAYMENTS`), the simulated provider completes at once: `succeeded`, credits added before the answer. In production without Stripe, 503 `payments_unavailable`. Send an `Idempotency-Key`: a retry with the same key and body replays the first answer and buys nothing again.',
      { body: purchaseBody, response: answers({ 201: purchaseResponse }, 400, 401, 404, 409, 503) },
    ),
    async (req, reply) => {
      // Credits for an organisation are bought by its owners and admins (a member: 403).
      const p = requireAccountManager(req);
      const payer = principal(req).id;
      const scope = idempotencyScope(req);
      const stripe = ctx.services.payments;
      requirePayments(
        paymentsMode({
          stripe: stripe !== undefined,
          isProduction: ctx.config.isProduction,
          allowSimulated: ctx.config.allowSimulatedPayments,
        }),
      );
      const answer = (payment: PaymentRow, clientSecret: string | null) => ({
        status: 201,
        body: { payment: toPurchasedPayment(payment), clientSecret },
      });
      if (stripe) {
        // Stripe: a pending payment and its PaymentIntent; credits come with the webhook.
        const r = await ctx.idempotency.runOutside(req, scope, async (key) => {
          const out = await purchaseWithProvider(ctx.core, stripe, p.id, req.body.packageId, key, payer);
          return answer(out.payment, out.clientSecret);
        });
        return sendReply(reply, r);
      }
      let payment: PaymentRow | null = null;
      const r = await ctx.idempotency.run<PaymentRow>(
        req,
        {
          scope,
          render: (a) => {
            if (a.effects) payment = a.effects;
            return answer(payment as PaymentRow, null);
          },
        },
        async (idem) => {
          const out = await purchaseSimulated(ctx.core, p.id, req.body.packageId, idem, payer);
          payment = out.payment;
          return out.applied;
        },
      );
      return sendReply(reply, r);
    },
  );

  app.get(
    '/api/credits/stream',
    route(
      'Live balance (Server-Sent Events)',
      'A `text/event-stream`: an event `balance` with the balance object at once, then one on every change, and a comment line every 15 s to keep the connection open. Send the Bearer header (read it with `fetch`, not `EventSource`). At most MAX_STREAMS_PER_USER (default 10) streams per user are open at once on an instance: opening one more closes the oldest, which first receives an event `closed` with data `{"reason":"too_many_streams"}` (a client should not reconnect it).',
      {},
    ),
    async (req, reply) => {
      const user = principal(req);
      const p = account(req);
      const unlimited = bypassCharges(req);
      const { balance: b0, soon: soon0 } = await ctx.core.ledger.balanceWithExpiring(p.id);
      const first = toBalance(b0, unlimited, soon0);
      // What expires soon changes only when credits arrive (a new grant) or when expiring ones are
      // spent or expire (the sweeper's expiry is a change of the balance, so it comes here): re-read
      // (one query) unless nothing was expiring and the balance did not rise. Time moves the 30-day
      // window too (a grant expiring in 31 days is soon a day later): a read older than a minute is
      // never reused.
      let last = { balanceMc: b0.balanceMc, soon: soon0, readAt: Date.now() };
      const soonAfter = async (balanceMc: number): Promise<ExpiringSoon> => {
        if (last.soon.creditsMc === 0 && balanceMc <= last.balanceMc && Date.now() - last.readAt < 60_000) {
          last = { ...last, balanceMc };
          return last.soon;
        }
        try {
          last = { balanceMc, soon: await ctx.core.ledger.expiringSoon(p.id), readAt: Date.now() };
        } catch (err) {
          // The balance still goes out, with what was last known to expire soon.
          req.log.warn({ err }, 'balance stream: could not read what expires soon');
        }
        return last.soon;
      };
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
      // Changes are sent in order: each waits for the one before it (and its expiringSoon read).
      let queue: Promise<unknown> = Promise.resolve();
      const unsubscribe = ctx.events.subscribe(p.id, (c) => {
        queue = queue
          .then(async () => {
            const soon = await soonAfter(c.balanceMc);
            if (res.writableEnded) return;
            // A change carries every figure of a balance (and more, which toBalance leaves out).
            send(toBalance(c, unlimited, soon));
          })
          .catch((err: unknown) => req.log.warn({ err }, 'balance stream: could not send a balance'));
      });
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      heartbeat.unref();
      streams.add(res);
      const mine = streamsOf.get(user.id) ?? [];
      streamsOf.set(user.id, mine);
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
        if (mine.length === 0 && streamsOf.get(user.id) === mine) streamsOf.delete(user.id);
      });
    },
  );

  // Open streams end when the server stops, so shutdown does not wait for them.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
}
