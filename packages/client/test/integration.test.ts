/**
 * The client against the real service (both databases): an API key made by an admin,
 * customers, usage with its idempotency, batches, holds, the typed errors of real
 * refusals, and a platform token whose `sub` is the customer's id signing in as the same
 * user the service API bills.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../../../test/support/db.js';
import { type IdentityProvider, type SigningKey, startIdentityProvider } from '../../../test/support/identity-provider.js';
import { type TestServer, startTestServer } from '../../../test/support/server.js';
import { CreditsApiError, CreditsClient, InsufficientCreditsError } from '../src/index.js';

describe.each(await activeDialects())('the client against the service on %s', (dialect) => {
  let s: TestServer;
  let idp: IdentityProvider;
  let key: SigningKey;
  let credits: CreditsClient;
  beforeAll(async () => {
    idp = await startIdentityProvider('billing');
    key = await idp.newKey('ES256');
    idp.published = [key];
    s = await startTestServer(dialect, { AUTH_JWKS_URL: idp.jwksUrl, AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: 'billing' });
    const admin = await s.userWithRole('admin');
    const made = await admin.api.post('/api/admin/api-keys', { name: 'platform backend' });
    expect(made.status).toBe(201);
    credits = new CreditsClient({ baseUrl: s.url, apiKey: made.body.key, maxRetries: 1 });
  });
  afterAll(async () => {
    await s?.stop();
    await idp?.close();
  });

  it('creates a customer, reads its balance, and is the same user a platform token with that sub signs in as', async () => {
    const created = await credits.upsertCustomer('cand-owner-1', { email: `owner-${dialect}@platform.example`, name: 'Owner One' });
    expect(created).toMatchObject({ externalId: 'cand-owner-1', kind: 'personal', name: 'Owner One' });
    expect((await credits.upsertCustomer('cand-owner-1', { name: 'Owner 1' })).accountId).toBe(created.accountId);
    await s.grant(created.accountId, 20);
    expect(await credits.balance('cand-owner-1')).toMatchObject({ balance: 20, available: 20, reserved: 0 });
    const me = await s.api.withToken(await idp.sign(key, { sub: 'cand-owner-1' })).get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(created.accountId);
    const unknown = await credits.balance('nobody-here').catch((e) => e);
    expect(unknown).toBeInstanceOf(CreditsApiError);
    expect([unknown.status, unknown.code]).toEqual([404, 'not_found']);
  });

  it('creates an organisation customer with its owner and charges it as the member named', async () => {
    const owner = await credits.upsertCustomer('org-owner-1', { name: 'Team Owner' });
    const org = await credits.upsertCustomer('team-1', { kind: 'organization', name: 'Team One', owner: 'org-owner-1' });
    expect(org).toMatchObject({ externalId: 'team-1', kind: 'organization', name: 'Team One' });
    expect(org.accountId).toMatch(/^org_/);
    // Without kind, the organisation stays one; another kind is a 409.
    expect(await credits.upsertCustomer('team-1', { name: 'Team 1' })).toEqual({ ...org, name: 'Team 1' });
    const clash = await credits.upsertCustomer('team-1', { kind: 'personal' }).catch((e) => e);
    expect(clash).toBeInstanceOf(CreditsApiError);
    expect([clash.status, clash.code]).toEqual([409, 'conflict']);
    await s.grant(org.accountId, 5);
    const used = await credits.recordUsage({
      customer: 'team-1',
      member: 'org-owner-1',
      operation: 'message',
      unit: 'per_message',
      quantity: 1,
    });
    expect(used).toMatchObject({ charged: 0.1, balance: 4.9 });
    expect(await credits.balance('team-1')).toMatchObject({ balance: 4.9 });
    const row = await s.running.core.database.db
      .selectFrom('credit_transactions')
      .select('member_id')
      .where('user_id', '=', org.accountId)
      .where('type', '=', 'usage')
      .executeTakeFirstOrThrow();
    expect(row.member_id).toBe(owner.accountId);
  });

  it('records usage once per idempotency key, and throws InsufficientCreditsError with the real figures', async () => {
    const c = await credits.upsertCustomer('usage-1');
    await s.grant(c.accountId, 1);
    const first = await credits.recordUsage({
      customer: 'usage-1',
      operation: 'message',
      unit: 'per_message',
      quantity: 1,
      metadata: { messageId: 'm1' },
      idempotencyKey: 'msg-m1',
    });
    expect(first).toMatchObject({ charged: 0.1, balance: 0.9 });
    const replay = await credits.recordUsage({
      customer: 'usage-1',
      operation: 'message',
      unit: 'per_message',
      quantity: 1,
      metadata: { messageId: 'm1' },
      idempotencyKey: 'msg-m1',
    });
    expect(replay.usageId).toBe(first.usageId);
    expect((await credits.balance('usage-1')).balance).toBe(0.9);
    const broke = await credits
      .recordUsage({ customer: 'usage-1', operation: 'candidate_screening', unit: 'per_candidate', quantity: 1 })
      .catch((e) => e);
    expect(broke).toBeInstanceOf(InsufficientCreditsError);
    expect([broke.required, broke.available]).toEqual([2, 0.9]);
    const history = await s.api.withToken(await idp.sign(key, { sub: 'usage-1' })).get('/api/credits/transactions?type=usage');
    expect(JSON.stringify(history.body.items[0]?.metadata)).toContain('m1');
  });

  it('sends a batch whose events stand alone', async () => {
    const c = await credits.upsertCustomer('batch-1');
    await s.grant(c.accountId, 0.25);
    const results = await credits.recordUsageBatch([
      { id: 'b-1', customer: 'batch-1', operation: 'message', unit: 'per_message', quantity: 1 },
      { id: 'b-1', customer: 'batch-1', operation: 'message', unit: 'per_message', quantity: 1 },
      { id: 'b-2', customer: 'batch-1', operation: 'message', unit: 'per_fortnight' as 'per_message', quantity: 1 },
      { id: 'b-3', customer: 'batch-1', operation: 'message', unit: 'per_message', quantity: 1 },
      { id: 'b-4', customer: 'batch-1', operation: 'message', unit: 'per_message', quantity: 1 },
    ]);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['b-1', 'charged'],
      ['b-1', 'duplicate'],
      ['b-2', 'invalid'],
      ['b-3', 'charged'],
      ['b-4', 'insufficient_credits'],
    ]);
    expect((await credits.balance('batch-1')).balance).toBe(0.05);
  });

  it('holds, extends, captures at most the hold (a second capture is 409), and releases', async () => {
    const c = await credits.upsertCustomer('hold-1');
    await s.grant(c.accountId, 50);
    const hold = await credits.hold({ customer: 'hold-1', operation: 'ai_interview', unit: 'per_minute', quantity: 600, ttlSeconds: 120 });
    expect(hold).toMatchObject({ status: 'held', credits: 10 });
    expect((await credits.balance('hold-1')).available).toBe(40);
    const ext = await hold.extend({ ttlSeconds: 3600 });
    expect(Date.parse(ext.expiresAt)).toBeGreaterThan(Date.now() + 3_000_000);
    expect(await hold.capture({ quantity: 90, metadata: { interviewId: 'i1' } })).toMatchObject({
      status: 'captured',
      credits: 1.5,
      heldCredits: 10,
      charged: 1.5,
      balance: 48.5,
    });
    const twice = await hold.capture({ quantity: 90 }).catch((e) => e);
    expect(twice).toBeInstanceOf(CreditsApiError);
    expect(twice.status).toBe(409);
    const other = await credits.hold({ customer: 'hold-1', operation: 'ai_interview', unit: 'per_minute', quantity: 60 });
    expect((await other.release()).status).toBe('released');
    expect(await credits.balance('hold-1')).toMatchObject({ balance: 48.5, reserved: 0, available: 48.5 });
    const tooBig = await credits
      .hold({ customer: 'hold-1', operation: 'ai_interview', unit: 'per_minute', quantity: 6000 })
      .catch((e) => e);
    expect(tooBig).toBeInstanceOf(InsufficientCreditsError);
    expect([tooBig.required, tooBig.available]).toEqual([100, 48.5]);
  });

  it('a wrong key is a CreditsApiError 401, not retried', async () => {
    const wrong = new CreditsClient({ baseUrl: s.url, apiKey: 'ck_live_not_a_real_key_000000000000' });
    const err = await wrong.balance('hold-1').catch((e) => e);
    expect(err).toBeInstanceOf(CreditsApiError);
    expect([err.status, err.code]).toEqual([401, 'unauthorized']);
  });
});
