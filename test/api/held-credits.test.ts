/**
 * GET /api/credits/holds: what the reserved credits are held for. A call's minutes, a
 * service API hold and a dispute's credits are one machinery (ledger reservations); the
 * list names each, its credits add up to the balance's `reserved`, and a hold leaves the
 * list once it is captured, released or ended. Another user's holds are never listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('held credits on %s', (dialect) => {
  let s: TestServer;
  let svc: Client;

  beforeAll(async () => {
    s = await startTestServer(dialect);
    const admin = await s.userWithRole('admin');
    const r = await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Holds list' } });
    svc = s.api.withToken(r.body.key);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('lists a call, a service hold and a dispute hold, summing to reserved, and drops each once settled', async () => {
    const u = await s.userWithRole('user');
    const other = await s.userWithRole('user');
    await s.grant(u.user.id, 100);
    await s.grant(other.user.id, 100);
    const externalId = `held-${u.user.id}`;
    // The service API finds customers by their account's external id (the personal account's id is the user's).
    await s.running.core.database.db.updateTable('users').set({ external_id: externalId }).where('id', '=', u.user.id).execute();
    await s.running.core.database.db.updateTable('accounts').set({ external_id: externalId }).where('id', '=', u.user.id).execute();

    const empty = await u.api.call('GET /api/credits/holds');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [], nextCursor: null });

    // A call's minutes (simulated provider), a service hold (ai_interview: 1 credit a minute),
    // and a dispute's forced hold with no expiry.
    const call = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 600 });
    expect(call.status).toBe(201);
    const hold = await svc.post('/api/v1/holds', { customer: externalId, operation: 'ai_interview', unit: 'per_minute', quantity: 300 });
    expect(hold.status).toBe(201);
    await s.running.core.ledger.reserve(u.user.id, 7000, Number.MAX_SAFE_INTEGER, {
      reservationId: `dispute-test-${u.user.id}`,
      forced: true,
      description: 'Credits held during a payment dispute',
    });
    await other.api.post('/api/vapi/calls', { phoneNumber: '+15557654321', maxDurationSeconds: 60 });

    const list = await u.api.call('GET /api/credits/holds');
    expect(list.status).toBe(200);
    const items = list.body.items;
    expect(items.map((h) => h.kind).sort()).toEqual(['call', 'dispute', 'service']);
    const byKind = Object.fromEntries(items.map((h) => [h.kind, h]));
    expect(byKind.call).toMatchObject({ operation: 'vapi_call', callId: call.body.call.id });
    expect(Date.parse(byKind.call?.expiresAt ?? '')).toBeGreaterThan(Date.now());
    expect(byKind.service).toMatchObject({
      id: hold.body.hold.id,
      operation: 'ai_interview',
      unit: 'per_minute',
      credits: 5,
      callId: null,
    });
    expect(byKind.service?.expiresAt).toBe(hold.body.hold.expiresAt);
    expect(byKind.dispute).toMatchObject({ credits: 7, expiresAt: null, callId: null });
    const balance = (await u.api.call('GET /api/credits/balance')).body;
    expect(items.reduce((sum, h) => sum + h.credits * 1000, 0)).toBe(Math.round(balance.reserved * 1000));

    // Paged one at a time, newest first, the same three.
    const first = await u.api.call('GET /api/credits/holds', { query: { limit: 1 } });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await u.api.call('GET /api/credits/holds', { query: { limit: 2, cursor: first.body.nextCursor ?? undefined } });
    expect([...first.body.items, ...second.body.items].map((h) => h.id).sort()).toEqual(items.map((h) => h.id).sort());

    // Settled holds leave the list.
    expect((await svc.post(`/api/v1/holds/${hold.body.hold.id}/release`, {})).status).toBe(200);
    expect((await u.api.post(`/api/vapi/calls/${call.body.call.id}/end`, { durationSeconds: 30 })).status).toBe(200);
    const after = await u.api.call('GET /api/credits/holds');
    expect(after.body.items.map((h) => h.kind)).toEqual(['dispute']);

    expect((await s.api.get('/api/credits/holds')).status).toBe(401);
    expect((await u.api.get('/api/credits/holds?limit=0')).status).toBe(400);
  });
});
