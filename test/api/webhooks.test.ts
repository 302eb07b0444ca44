/**
 * Events out over HTTP: the admin API of webhook endpoints, and every event type of the
 * contract (all but backup.failed, which needs a failing scheduled backup) delivered to a local receiver, signed as docs/events.md says (checked
 * with an independent implementation of the Standard Webhooks algorithm), including to an
 * endpoint that fails, times out and then recovers. The retry schedule is shrunk
 * (WEBHOOKS_SCHEDULE_SCALE) so its first waits are milliseconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/contracts/enums.js';
import { newId } from '../../src/core/ids.js';
import { failPayment, lockPayment } from '../../src/core/payments/payment-events.js';
import { newPayment } from '../../src/core/payments/purchase-credits.js';
import { activeDialects } from '../support/db.js';
import { until } from '../support/poll.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type Receiver, startReceiver, verifyStandardWebhook } from '../support/webhook-receiver.js';

describe.each(await activeDialects())('webhooks on %s', (dialect) => {
  let s: TestServer;
  let rx: Receiver;
  let admin: Awaited<ReturnType<TestServer['userWithRole']>>;
  beforeAll(async () => {
    // /flaky fails, then times out, then answers; everything else answers 200 at once.
    rx = await startReceiver((r, nth) => {
      if (!r.path.startsWith('/flaky')) return { status: 200 };
      if (nth === 1) return { status: 503 };
      if (nth === 2) return 'hang';
      return { status: 200 };
    });
    s = await startTestServer(dialect, {
      WEBHOOKS_POLL_MS: '30',
      WEBHOOKS_TIMEOUT_MS: '1500',
      WEBHOOKS_LEASE_MS: '3000',
      // 5 s -> 1 ms, 5 min -> 60 ms, 30 min -> 360 ms.
      WEBHOOKS_SCHEDULE_SCALE: '0.0002',
    });
    admin = await s.userWithRole('admin');
  });
  afterAll(async () => {
    await s?.stop();
    await rx?.close();
  });

  it('lets admins register, list, read one, disable and delete endpoints; the secret is shown once', async () => {
    const user = await s.register();
    const body = { url: `${rx.url}/crud`, events: ['credits.purchased' as const] };
    expect((await user.api.call('POST /api/admin/webhook-endpoints', { body })).status).toBe(403);
    const created = await admin.api.call('POST /api/admin/webhook-endpoints', { body });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body.endpoint).toMatchObject({ url: body.url, events: body.events, enabled: true, source: 'admin' });
    const id = created.body.endpoint.id;

    const list = await admin.api.call('GET /api/admin/webhook-endpoints');
    expect(list.status).toBe(200);
    expect(list.body.items.map((e) => e.id)).toContain(id);
    expect(list.text).not.toContain(created.body.secret);

    const off = await admin.api.call('PATCH /api/admin/webhook-endpoints/:id', { params: { id }, body: { enabled: false } });
    expect(off.body.endpoint.enabled).toBe(false);
    const moved = await admin.api.call('PATCH /api/admin/webhook-endpoints/:id', {
      params: { id },
      body: { url: `${rx.url}/crud2`, events: ['balance.low', 'balance.low'] },
    });
    expect(moved.body.endpoint).toMatchObject({ url: `${rx.url}/crud2`, events: ['balance.low'], enabled: false });
    const one = await admin.api.call('GET /api/admin/webhook-endpoints/:id', { params: { id } });
    expect(one.status).toBe(200);
    expect(one.body.endpoint).toEqual(moved.body.endpoint);
    expect(one.text).not.toContain(created.body.secret);
    expect((await user.api.call('GET /api/admin/webhook-endpoints/:id', { params: { id } })).status).toBe(403);

    for (const bad of [
      { url: 'ftp://example.com/x', events: ['credits.purchased'] },
      { url: 'https://example.com', events: ['credits.stolen'] },
      { url: 'https://u:p@example.com', events: ['credits.purchased'] },
      { url: 'https://example.com', events: [] },
    ]) {
      const r = await admin.api.request('POST', '/api/admin/webhook-endpoints', { body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.error?.code).toBe('validation_error');
    }
    // One event type as text, not in a list: that is what is wrong, not its length.
    const text = await admin.api.request('POST', '/api/admin/webhook-endpoints', {
      body: { url: 'https://example.com', events: 'credits.purchased' },
    });
    expect(text.status).toBe(400);
    expect(text.error?.message).toBe('Events must be a list.');
    expect(text.error?.details?.fields).toEqual([{ path: 'body.events', field: 'events', message: 'Events must be a list' }]);

    expect((await admin.api.call('DELETE /api/admin/webhook-endpoints/:id', { params: { id } })).body).toEqual({ id, deleted: true });
    expect((await admin.api.call('DELETE /api/admin/webhook-endpoints/:id', { params: { id } })).status).toBe(404);
    expect((await admin.api.call('GET /api/admin/webhook-endpoints/:id', { params: { id } })).status).toBe(404);
    expect((await admin.api.call('GET /api/admin/webhook-endpoints/:id/deliveries', { params: { id } })).status).toBe(404);
    const audit = await admin.api.call('GET /api/admin/audit', { query: { limit: 200 } });
    const mine = audit.body.items.filter((e) => e.targetId === id);
    expect(mine.map((e) => e.action).sort()).toEqual([
      'webhook_endpoint.create',
      'webhook_endpoint.delete',
      'webhook_endpoint.update',
      'webhook_endpoint.update',
    ]);
    expect(mine.every((e) => e.actorId === admin.user.id)).toBe(true);
    // Each entry keeps the endpoint's URL: it still names it now that the endpoint is gone.
    expect(mine.every((e) => typeof (e.details as { url?: unknown }).url === 'string')).toBe(true);
    expect(audit.text).not.toContain(created.body.secret);
  });

  it('delivers every event type the service emits, signed, once each, and retries a failing endpoint until it answers', async () => {
    const all = await admin.api.call('POST /api/admin/webhook-endpoints', { body: { url: `${rx.url}/all`, events: [...EVENT_TYPES] } });
    const flaky = await admin.api.call('POST /api/admin/webhook-endpoints', {
      body: { url: `${rx.url}/flaky`, events: ['credits.purchased'] },
    });
    expect(all.status).toBe(201);
    expect(flaky.status).toBe(201);
    const u = await s.register();
    const key = (k: string) => ({ 'idempotency-key': `${u.user.id}-${k}` });

    // credits.purchased
    const bought = await u.api.call('POST /api/credits/purchase', { body: { packageId: 'pkg_starter' }, headers: key('buy') });
    expect(bought.status).toBe(201);
    // hold.expired
    await s.running.core.ledger.reserve(u.user.id, 1000, Date.now() - 1);
    await s.running.core.ledger.releaseExpiredHolds();
    // balance.low: 100 -> 80, below 90
    expect((await u.api.call('PUT /api/credits/settings', { body: { lowBalanceThreshold: 90 } })).status).toBe(200);
    const adjust = (amount: number, k: string) =>
      admin.api.call('POST /api/admin/users/:id/adjustments', {
        params: { id: u.user.id },
        body: { amount, reason: 'test' },
        headers: key(k),
      });
    expect((await adjust(-20, 'a1')).status).toBe(201);
    // credits.refunded: half the payment, 50 credits back
    const paymentId = (bought.body as { payment: { id: string } }).payment.id;
    const refund = await admin.api.call('POST /api/admin/payments/:id/refund', {
      params: { id: paymentId },
      body: { amountCents: 500 },
      headers: key('refund'),
    });
    expect(refund.status).toBe(200);
    // balance.depleted: 30 -> 0
    expect((await adjust(-30, 'a2')).status).toBe(201);
    // payment.failed: a pending payment declined
    const core = s.running.core;
    const pkg = await core.database.db.selectFrom('credit_packages').selectAll().where('id', '=', 'pkg_starter').executeTakeFirstOrThrow();
    const pending = newPayment(pkg, u.user.id, { id: newId(), provider: 'simulated', status: 'pending', kind: 'purchase' }, Date.now());
    await core.writer.transaction(async (scope) => {
      await scope.trx.insertInto('stripe_payments').values(pending).execute();
      const p = await lockPayment(scope, core.database.dialect, { id: pending.id });
      await failPayment(scope, p as NonNullable<typeof p>, 'Your card was declined.');
    });
    // auto_recharge.succeeded: another account crosses its auto-recharge threshold
    const v = await s.register();
    const vKey = (k: string) => ({ 'idempotency-key': `${v.user.id}-${k}` });
    expect((await v.api.call('POST /api/credits/purchase', { body: { packageId: 'pkg_starter' }, headers: vKey('buy') })).status).toBe(201);
    const small = await admin.api.call('POST /api/admin/packages', { body: { name: 'Small', credits: 10, priceCents: 100 } });
    const smallId = (small.body as { package: { id: string } }).package.id;
    expect(
      (
        await v.api.call('PUT /api/credits/settings', {
          body: { autoRecharge: { enabled: true, thresholdCredits: 50, packageId: smallId } },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await admin.api.call('POST /api/admin/users/:id/adjustments', {
          params: { id: v.user.id },
          body: { amount: -60, reason: 'test' },
          headers: vKey('a1'),
        })
      ).status,
    ).toBe(201);
    await until('the auto-recharge', () =>
      rx.received.some((r) => r.path === '/all' && JSON.parse(r.body).type === 'auto_recharge.succeeded'),
    );
    // auto_recharge.failed: its package is withdrawn
    expect((await admin.api.call('PATCH /api/admin/packages/:id', { params: { id: smallId }, body: { active: false } })).status).toBe(200);
    await s.running.services.autoRecharge?.recharge(v.user.id);
    // credits.granted and credits.expired: a third account is given 5 credits that expire at
    // once, and the sweeper expires them (this pass or the server's own).
    const w = await s.register({ name: 'Wren Owner' });
    await core.ledger.grant(w.user.id, 5_000, 'adjustment', { grant: { expiresAt: Date.now() + 100 } });
    await new Promise((r) => setTimeout(r, 150));
    await core.ledger.expireGrants();
    // member.limit_reached: w's organisation limits its owner to 0.05 credits a month; a message (0.1) is refused.
    const org = (await w.api.call('POST /api/orgs', { body: { name: 'Wren Ltd' } })).body.organization;
    expect(
      (await w.api.call('PATCH /api/orgs/:id/members/:userId', { params: { id: org.id, userId: w.user.id }, body: { monthlyLimit: 0.05 } }))
        .status,
    ).toBe(200);
    await core.ledger.grant(org.id, 1_000, 'adjustment');
    const refused = await w.api.post(
      '/api/messages',
      { to: 'x', body: 'over' },
      { 'x-account': org.id, 'idempotency-key': `${w.user.id}-m` },
    );
    expect(refused.status).toBe(402);
    expect((refused.body as unknown as { error: { code: string } }).error.code).toBe('member_limit_exceeded');

    const emitted = [
      'credits.purchased',
      'hold.expired',
      'balance.low',
      'credits.refunded',
      'balance.depleted',
      'payment.failed',
      'auto_recharge.succeeded',
      'auto_recharge.failed',
      'credits.granted',
      'credits.expired',
      'member.limit_reached',
    ];
    // Low-balance checks run after their commit: wait until every cause has written its event.
    const events = await until('every type emitted', async () => {
      const rows = await core.database.db.selectFrom('events').select(['id', 'type']).execute();
      return emitted.every((t) => rows.some((r) => r.type === t)) ? rows : null;
    });
    await until('every event at /all', () => events.every((e) => rx.received.some((r) => r.path === '/all' && r.id === e.id)));
    const atAll = rx.received.filter((r) => r.path === '/all');
    const secret = all.body.secret;
    const bodies = atAll.map((r) => verifyStandardWebhook(secret, r));
    expect(new Set(bodies.map((b) => b.type))).toEqual(new Set(emitted));
    // Every event with its own id as webhook-id, and every request an attempt the worker
    // recorded: once each, unless an answer came too late on this busy test machine (a
    // timed-out attempt is sent again: at least once).
    expect(new Set(atAll.map((r) => r.id)).size).toBe(events.length);
    const allLog = await until('the /all deliveries recorded', async () => {
      const r = await admin.api.call('GET /api/admin/webhook-endpoints/:id/deliveries', {
        params: { id: all.body.endpoint.id },
        query: { limit: 100 },
      });
      return r.body.items.length === events.length && r.body.items.every((d) => d.status === 'succeeded') ? r.body.items : null;
    });
    for (const d of allLog) expect(atAll.filter((r) => r.id === d.eventId).length, d.type).toBe(d.attempts);
    for (const r of atAll) {
      const b = JSON.parse(r.body);
      expect(Object.keys(b)).toEqual(['type', 'timestamp', 'data']);
      expect(events.find((e) => e.id === r.id)?.type).toBe(b.type);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) * 1000 - r.at)).toBeLessThan(5000);
    }
    const byType = (t: string) => bodies.filter((b) => b.type === t).map((b) => b.data);
    expect(byType('credits.purchased')).toContainEqual(
      expect.objectContaining({ accountId: u.user.id, paymentId, packageId: 'pkg_starter', amountCents: 1000, credits: 100 }),
    );
    expect(byType('credits.refunded')).toEqual([
      expect.objectContaining({ accountId: u.user.id, paymentId, refundedCents: 500, creditsTaken: 50 }),
    ]);
    expect(byType('balance.low')).toContainEqual({ accountId: u.user.id, available: 80, threshold: 90 });
    expect(byType('balance.depleted')).toContainEqual({ accountId: u.user.id, available: 0 });
    expect(byType('hold.expired')).toEqual([expect.objectContaining({ accountId: u.user.id, released: 1 })]);
    expect(byType('payment.failed')).toEqual([expect.objectContaining({ paymentId: pending.id, reason: 'Your card was declined.' })]);
    expect(byType('auto_recharge.failed')).toEqual([expect.objectContaining({ accountId: v.user.id, paymentId: null })]);
    expect(byType('credits.granted')).toContainEqual(expect.objectContaining({ accountId: w.user.id, source: 'adjustment', credits: 5 }));
    expect(byType('credits.granted')).toContainEqual(expect.objectContaining({ accountId: org.id, source: 'adjustment', credits: 1 }));
    expect(byType('credits.expired')).toEqual([expect.objectContaining({ accountId: w.user.id, credits: 5 })]);
    expect(byType('member.limit_reached')).toEqual([
      expect.objectContaining({ accountId: org.id, memberId: w.user.id, limit: 0.05, used: 0 }),
    ]);

    // The flaky endpoint: 503, then no answer within the timeout, then 200; one webhook-id.
    const fid = flaky.body.endpoint.id;
    const deliveries = await until('the flaky delivery to succeed', async () => {
      const r = await admin.api.call('GET /api/admin/webhook-endpoints/:id/deliveries', { params: { id: fid } });
      const done = r.body.items.filter((d) => d.status === 'succeeded');
      return done.length === 2 && r.body.items.length === 2 ? r.body.items : null;
    });
    const first = deliveries.find((d) => d.attempts === 3);
    expect(first?.attemptLog.map((a) => a.statusCode)).toEqual([503, null, 200]);
    expect(first?.attemptLog[1]?.error).toMatch(/timed out/);
    expect(first?.lastStatusCode).toBe(200);
    const atFlaky = rx.received.filter((r) => r.path === '/flaky' && r.id === first?.eventId);
    expect(atFlaky).toHaveLength(3);
    for (const r of atFlaky) verifyStandardWebhook(flaky.body.secret, r);

    // The retry button sends it again with the same webhook-id.
    const before = rx.received.length;
    const retried = await admin.api.call('POST /api/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry', {
      params: { id: fid, deliveryId: first?.id as string },
    });
    expect(retried.status).toBe(202);
    expect(retried.body.delivery.status).toBe('pending');
    const again = await until('the retried send', () => rx.received.slice(before).find((r) => r.path === '/flaky'));
    expect(again.id).toBe(first?.eventId);
    // Audited with what was sent where: the event's type and id, the endpoint's URL.
    const audit = (await admin.api.call('GET /api/admin/audit', { query: { limit: 200 } })).body.items;
    const entry = audit.find((e) => e.action === 'webhook_delivery.retry' && e.targetId === first?.id);
    expect(entry?.details).toMatchObject({
      endpointId: fid,
      url: expect.stringMatching(/\/flaky$/),
      eventType: first?.type,
      event: first?.eventId,
    });
  });
});
