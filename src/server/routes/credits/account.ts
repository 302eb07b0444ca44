import type { ServerResponse } from 'node:http';
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
import { account, bypassCharges, idempotencyScope, makeResolveAccount, requireAccountManager } from '../../plugins/account.js';
import { HttpError } from '../../http-errors.js';
import { DomainError } from '../../../core/errors.js';
import { sendReply } from '../../plugins/idempotency.js';
import type { ExpiringSoon } from '../../../core/ledger/expiring-soon.js';
import { toAccountPayment, toAlert, toBalance, toGrant, toPurchasedPayment, toSettings } from '../../presenters.js';
import { signedInRoutes } from '../../route-docs.js';
import { identifier } from '../../cursor.js';

export async function accountRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = signedInRoutes(app, ctx, 'credits');
  const paymentsRoute = signedInRoutes(app, ctx, 'payments');
  const streams = new Set<ServerResponse>();
  /** Each user's open streams on this instance, oldest first (at most MAX_STREAMS_PER_USER). */
  const streamsOf = new Map<string, ServerResponse[]>();
  const resolveAccount = makeResolveAccount(db);

  route('GET /api/credits/grants', async (req) => {
    return ctx.cursors.list(req, 'id', identifier, (page) => listGrants(db, account(req).id, page, req.query.active === true), toGrant);
  });

  route('GET /api/credits/alerts', async (req) => {
    const page = await listAlerts(db, account(req).id, ctx.cursors.request(req, 'id', identifier));
    return { ...ctx.cursors.answer(req, page, 'id', toAlert), unread: page.unread };
  });

  route('POST /api/credits/alerts/:id/read', async (req) => {
    await markAlertRead(db, account(req).id, req.params.id);
    return { id: req.params.id, read: true as const };
  });

  route('GET /api/credits/settings', async (req) => toSettings(await getSettings(db, account(req).id)));

  route('PUT /api/credits/settings', async (req) => {
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
  });

  paymentsRoute('GET /api/credits/payments', async (req) => {
    // A member of an organisation is refused (403) before a bad cursor is (400).
    const userId = requireAccountManager(req).id;
    return ctx.cursors.list(req, 'id', identifier, (page) => listPayments(db, { userId }, page), toAccountPayment);
  });

  paymentsRoute('POST /api/credits/purchase', async (req, reply) => {
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
  });

  route('GET /api/credits/stream', async (req, reply) => {
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
    // The stream lasts as long as its token and its access: checked again (as a request would be)
    // before a change goes out once a second has passed since the last check, and at every
    // heartbeat. A token ended meanwhile (sign-out, a password or role change, its expiry) or a
    // membership removed ends the stream with `closed` instead of the change.
    let checkedAt = Date.now();
    const stillAllowed = async (): Promise<boolean> => {
      if (Date.now() - checkedAt < 1000) return true;
      try {
        await ctx.authenticate(req, reply);
        if (req.account?.kind === 'organization') await resolveAccount(req, reply);
        checkedAt = Date.now();
        return true;
      } catch (err) {
        // Only an answer about the caller ends the stream; a database or identity provider that
        // failed to answer is tried again at the next change or heartbeat.
        const code = err instanceof HttpError || err instanceof DomainError ? err.code : null;
        if (code !== 'unauthorized' && code !== 'not_found') {
          req.log.warn({ err }, 'balance stream: could not check its token');
          return false;
        }
        closeStream(res, code === 'not_found' ? 'not_a_member' : 'unauthorized');
        return false;
      }
    };
    send(first);
    // Changes are sent in order: each waits for the one before it (and its expiringSoon read).
    let queue: Promise<unknown> = Promise.resolve();
    const unsubscribe = ctx.events.subscribe(p.id, (c) => {
      queue = queue
        .then(async () => {
          if (!(await stillAllowed())) return;
          const soon = await soonAfter(c.balanceMc);
          if (res.writableEnded) return;
          // A change carries every figure of a balance (and more, which toBalance leaves out).
          send(toBalance(c, unlimited, soon));
        })
        .catch((err: unknown) => req.log.warn({ err }, 'balance stream: could not send a balance'));
    });
    const heartbeat = setInterval(() => {
      checkedAt = 0;
      queue = queue
        .then(async () => {
          if (await stillAllowed()) res.write(': keep-alive\n\n');
        })
        .catch((err: unknown) => req.log.warn({ err }, 'balance stream: could not check its token'));
    }, 15_000);
    heartbeat.unref();
    streams.add(res);
    const mine = streamsOf.get(user.id) ?? [];
    streamsOf.set(user.id, mine);
    mine.push(res);
    while (mine.length > ctx.config.maxStreamsPerUser) {
      const oldest = mine.shift() as ServerResponse;
      closeStream(oldest, 'too_many_streams');
    }
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
      const at = mine.indexOf(res);
      if (at >= 0) mine.splice(at, 1);
      if (mine.length === 0 && streamsOf.get(user.id) === mine) streamsOf.delete(user.id);
    });
  });

  // Open streams end when the server stops, so shutdown does not wait for them.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
}

/** Ends a balance stream, saying why in an event `closed` (`{"reason": ...}`). */
function closeStream(res: ServerResponse, reason: 'too_many_streams' | 'unauthorized' | 'not_a_member'): void {
  if (res.writableEnded) return;
  res.write(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`);
  res.end();
}
