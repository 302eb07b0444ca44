/**
 * Alerts leave the app: the alert webhook (ALERTS_WEBHOOK_URL), now an endpoint of the
 * events system, gets the events signed with ALERTS_WEBHOOK_SECRET (Standard Webhooks, and
 * the x-credits-signature it had before), retried after the receiver fails twice; and an
 * email received by a local SMTP server.
 */
import { createHmac } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { until } from '../support/poll.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { verifyStandardWebhook } from '../support/webhook-receiver.js';

describe.each(await activeDialects())('alert delivery on %s', (dialect) => {
  let s: TestServer;
  let hook: Server;
  let smtp: SMTPServer;
  const hits: { body: string; signature: string | undefined; headers: IncomingMessage['headers'] }[] = [];
  const mails: string[] = [];
  let failuresLeft = 2;
  beforeAll(async () => {
    hook = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hits.push({ body, signature: req.headers['x-credits-signature'] as string | undefined, headers: req.headers });
        if (failuresLeft-- > 0) {
          res.statusCode = 503;
          res.end('try later');
        } else res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, cb) {
        let raw = '';
        stream.on('data', (c) => (raw += c));
        stream.on('end', () => {
          mails.push(raw);
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    s = await startTestServer(dialect, {
      ALERTS_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
      ALERTS_WEBHOOK_SECRET: 'alert-secret',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ALERTS_EMAIL_FROM: 'Credits <credits@example.com>',
      ALERTS_POLL_MS: '50',
      ALERTS_RETRY_BASE_MS: '50',
      WEBHOOKS_POLL_MS: '50',
      WEBHOOKS_SCHEDULE_SCALE: '0.0002',
    });
  });
  afterAll(async () => {
    await s?.stop();
    await new Promise<void>((r) => hook.close(() => r()));
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it('delivers a signed webhook (retried after two failures) and an email', async () => {
    const u = await s.register({ email: `alerts-${Date.now()}@example.com` });
    expect((await u.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(201);
    await until('three webhook attempts and the email', () => hits.length >= 3 && mails.length >= 1, 30_000);
    expect(hits).toHaveLength(3);
    const last = hits[2] as { body: string; signature: string; headers: IncomingMessage['headers'] };
    const body = JSON.parse(last.body);
    expect(body).toMatchObject({ type: 'credits.purchased', data: { accountId: u.user.id } });
    // The same event on every attempt.
    expect(new Set(hits.map((h) => h.headers['webhook-id'])).size).toBe(1);
    const id = String(last.headers['webhook-id']);
    const ts = String(last.headers['webhook-timestamp']);
    // Standard Webhooks, keyed with the secret's UTF-8 bytes (it has no whsec_ prefix)...
    expect(last.headers['webhook-signature']).toBe(
      `v1,${createHmac('sha256', 'alert-secret').update(`${id}.${ts}.${last.body}`).digest('base64')}`,
    );
    // A Standard Webhooks verifier checks it with whsec_ + base64 of that secret.
    expect(verifyStandardWebhook(`whsec_${Buffer.from('alert-secret').toString('base64')}`, last).type).toBe('credits.purchased');
    // ...and the header the alert webhook had before.
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(last.signature) as RegExpExecArray;
    expect(t).toBe(ts);
    expect(v1).toBe(createHmac('sha256', 'alert-secret').update(`${t}.${last.body}`).digest('hex'));
    const endpoints = await s.api.withToken((await s.userWithRole('admin')).token).call('GET /api/admin/webhook-endpoints');
    expect(endpoints.body.items).toEqual([
      expect.objectContaining({ id: 'we_alerts', source: 'config', url: expect.stringMatching(/\/alerts$/) }),
    ]);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toContain(u.user.email);
    expect(mails[0]).toMatch(/Subject: Payment received/);
    const db = s.running.core.database.db;
    const rows = await until('the email delivery recorded', async () => {
      const r = await db.selectFrom('alert_deliveries').selectAll().execute();
      return r.length > 0 && r.every((x) => x.status === 'delivered') && r;
    });
    expect(rows.map((r) => [r.channel, r.status, r.attempts]).sort()).toEqual([['email', 'delivered', 1]]);
    const hooks = await until('the webhook delivery recorded', async () => {
      const r = await db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', 'we_alerts').execute();
      return r.length > 0 && r.every((x) => x.status === 'succeeded') && r;
    });
    expect(hooks.map((r) => r.attempts)).toEqual([3]);
    // Nothing is delivered twice: both deliveries are final, and another pass of the webhook
    // worker finds nothing due.
    expect(await s.running.services.webhooks?.runOnce()).toBe(0);
    expect(hits).toHaveLength(3);
    expect(mails).toHaveLength(1);
  });

  it('mails an organisation’s low-balance alert to its owners, not to its members', async () => {
    const stamp = Date.now();
    const owner = await s.register({ email: `org-owner-${stamp}@example.com` });
    const coOwner = await s.register({ email: `org-coowner-${stamp}@example.com` });
    const member = await s.register({ email: `org-member-${stamp}@example.com` });
    const org = (await owner.api.post('/api/orgs', { name: 'Alerted Team' })).body.organization.id as string;
    for (const [who, role] of [
      [coOwner, 'owner'],
      [member, 'member'],
    ] as const) {
      const inv = await owner.api.post(`/api/orgs/${org}/invitations`, { email: who.user.email, role });
      expect(inv.status).toBe(201);
      expect((await who.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    }
    const xa = { 'x-account': org };
    expect((await owner.api.put('/api/credits/settings', { lowBalanceThreshold: 1 }, xa)).status).toBe(200);
    await s.grant(org, 1.25);
    const before = mails.length;
    // The member spends the organisation below its threshold.
    for (let i = 0; i < 5; i++) expect((await member.api.post('/api/messages', { to: 'x', body: 'y' }, xa)).status).toBe(201);
    const alert = await until('the organisation’s low-balance alert', async () => {
      const r = await owner.api.get('/api/credits/alerts', xa);
      return r.body.items.find((a: { type: string }) => a.type === 'low_balance');
    });
    // In the app, the alert is the organisation's: every member sees it with X-Account (the
    // dashboard sends it for the chosen account), and it is in nobody's personal alerts.
    for (const who of [coOwner, member]) {
      const items = (await who.api.get('/api/credits/alerts', xa)).body.items as { id: string }[];
      expect(items.map((a) => a.id)).toContain(alert.id);
    }
    for (const who of [owner, coOwner, member]) {
      const items = (await who.api.get('/api/credits/alerts')).body.items as { id: string }[];
      expect(items.map((a) => a.id)).not.toContain(alert.id);
    }
    const mail = await until('the low-balance mail', async () =>
      mails.slice(before).find((m) => m.includes('Subject: Your credits are running low')),
    );
    // The To header, unfolded (a long one continues on indented lines).
    const to = (/^To: (.*(?:\r?\n[ \t].*)*)/m.exec(mail)?.[1] ?? '').replace(/\r?\n[ \t]+/g, ' ');
    expect(to).toContain(owner.user.email);
    expect(to).toContain(coOwner.user.email);
    expect(mail).not.toContain(member.user.email);
    const db = s.running.core.database.db;
    const rows = await until('the delivery recorded', async () => {
      const r = await db.selectFrom('alert_deliveries').selectAll().where('alert_id', '=', alert.id).execute();
      return r.length > 0 && r.every((x) => x.status === 'delivered') && r;
    });
    expect(rows.map((r) => [r.channel, r.status])).toEqual([['email', 'delivered']]);
  });

  it('gives up at once on an organisation alert with no owner to mail, and keeps delivering the others', async () => {
    const db = s.running.core.database.db;
    const now = Date.now();
    const orgId = `org_${now}_ownerless`;
    await db
      .insertInto('accounts')
      .values({ id: orgId, kind: 'organization', name: 'Ownerless', external_id: null, created_at: now, updated_at: now })
      .execute();
    await db
      .insertInto('credit_alerts')
      .values({
        id: `alert_${now}_ownerless`,
        user_id: orgId,
        type: 'low_balance',
        message: 'low',
        read: 0,
        metadata: null,
        created_at: now,
      })
      .execute();
    const rows = await until('the delivery given up', async () => {
      const r = await db.selectFrom('alert_deliveries').selectAll().where('alert_id', '=', `alert_${now}_ownerless`).execute();
      return r.length > 0 && r.every((x) => x.status === 'dead') && r;
    });
    expect(rows[0]?.last_error).toMatch(/no owner/);
  });
});
