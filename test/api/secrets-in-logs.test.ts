/**
 * A whole run's logs, at the most verbose level, never contain a password, a password
 * hash, a token or a configured secret.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/poll.js';
import { type TestServer, startTestServer, having } from '../support/server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

const SECRETS = {
  STRIPE_SECRET_KEY: 'sk_test_SECRET_do_not_log_1',
  SERVICE_API_KEY: 'svc_SECRET_do_not_log_2',
  VAPI_WEBHOOK_SECRET: 'vapi_SECRET_do_not_log_3',
  ALERTS_WEBHOOK_SECRET: 'alerts_SECRET_do_not_log_4',
  SUPER_ADMIN_PASSWORD: 'boss_SECRET_do_not_log_5',
};

describe('secrets in logs', () => {
  let s: TestServer;
  let stripe: StripeStandIn;
  const file = join(mkdtempSync(join(tmpdir(), 'credits-logs-')), 'run.log');
  beforeAll(async () => {
    stripe = await startStripeStandIn();
    const stream = createWriteStream(file);
    s = await startTestServer(
      'sqlite',
      {
        ...SECRETS,
        SUPER_ADMIN_EMAIL: 'boss@example.com',
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_PUBLISHABLE_KEY: 'pk_test_standin',
        STRIPE_API_BASE: stripe.url,
        LOG_LEVEL: 'trace',
      },
      undefined,
      { level: 'trace', stream },
    );
  });
  afterAll(async () => {
    await s?.stop();
    await stripe?.close();
  });

  it('keeps them out', async () => {
    const password = 'user_SECRET_password_6';
    const reg = await s.api.post('/api/auth/register', { email: 'logged@example.com', password, name: 'L' });
    const token = having(reg.body, 'token').token as string;
    await s.api.post('/api/auth/login', { email: 'logged@example.com', password });
    await s.api.post('/api/auth/login', { email: 'logged@example.com', password: 'wrong_SECRET_7' });
    const boss = await s.api.post('/api/auth/login', { email: 'boss@example.com', password: SECRETS.SUPER_ADMIN_PASSWORD });
    const api = s.api.withToken(token);
    await api.get('/api/credits/balance');
    await api.post('/api/credits/purchase', { packageId: 'pkg_starter' });
    await s.api.post(
      '/api/usage',
      { userId: having(reg.body, 'token').user.id, operation: 'message', unit: 'per_message', quantity: 1, idempotencyKey: 'k' },
      { 'x-service-key': SECRETS.SERVICE_API_KEY },
    );
    await s.api.post('/api/vapi/webhook', { message: { type: 'status-update' } }, { 'x-vapi-secret': SECRETS.VAPI_WEBHOOK_SECRET });
    const e = stripe.event('customer.created', { id: 'cus_1', object: 'customer' });
    await s.api.request('POST', '/api/credits/stripe/webhook', {
      raw: e.body,
      headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
    });
    await s.api.get('/api/nope');
    // An invitation's token is in its acceptance's path: a refused attempt leaves it valid.
    const org = having((await api.post('/api/orgs', { name: 'Logged Org' })).body, 'organization').organization;
    const invite = await api.post(`/api/orgs/${org.id}/invitations`, { email: 'invited@example.com', role: 'member' });
    const invitation = having(invite.body, 'invitation').invitation.token as string;
    const stranger = s.api.withToken(
      having((await s.api.post('/api/auth/register', { email: 'stranger@example.com', password, name: 'S' })).body, 'token').token,
    );
    expect((await stranger.post(`/api/invitations/${invitation}/accept`, {})).status).toBe(404);
    const invited = s.api.withToken(
      having((await s.api.post('/api/auth/register', { email: 'invited@example.com', password, name: 'I' })).body, 'token').token,
    );
    expect((await invited.post(`/api/invitations/${invitation}/accept`, {})).status).toBe(200);
    // The log stream writes in order: once a line logged last is in the file, every earlier one is.
    s.running.app.log.info('end of the run');
    const log = await until('the log written out', () => {
      const text = readFileSync(file, 'utf8');
      return text.includes('end of the run') && text;
    });
    expect(log.length).toBeGreaterThan(1000);
    const forbidden = [
      ...Object.values(SECRETS),
      password,
      'wrong_SECRET_7',
      token,
      boss.body.token,
      e.signature,
      'scrypt$',
      stripe.webhookSecret,
      invitation,
    ];
    for (const secret of forbidden) expect(log.includes(secret), `log contains ${secret.slice(0, 12)}...`).toBe(false);
    expect(log.match(/"url":"\/api\/invitations\/\[redacted\]\/accept"/g)).toHaveLength(2);
  });
});
