/**
 * The example recruitment backend against a real billing service: its users become
 * customers, a message and a screening are charged through the middleware, an interview is
 * charged by the minutes it took, a failed screening charges nothing, and a user without
 * credits gets the contract's 402 while the work is never done.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreditsClient } from '@credit-billing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../../../test/support/server.js';
import { type Platform, createApp } from '../src/app.js';

describe('examples/express-app against the service', () => {
  let s: TestServer;
  let server: Server;
  let base: string;
  let credits: CreditsClient;
  const sent: string[] = [];
  let screenFails = false;
  beforeAll(async () => {
    s = await startTestServer('sqlite');
    const admin = await s.userWithRole('admin');
    const made = await admin.api.post('/api/admin/api-keys', { name: 'example app' });
    credits = new CreditsClient({ baseUrl: s.url, apiKey: made.body.key });
    const platform: Platform = {
      async sendMessage(to, text) {
        sent.push(`${to}: ${text}`);
      },
      async screen() {
        if (screenFails) throw new Error('the screening model is down');
        return { score: 87 };
      },
      async interview() {
        return { durationSeconds: 90 };
      },
    };
    server = createApp(credits, platform).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await s?.stop();
  });

  const call = async (method: string, path: string, user: string | null, body?: unknown) => {
    const r = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(user ? { 'x-user-id': user } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: await r.json() };
  };
  const available = async (user: string) => (await credits.balance(user)).available;

  it('bills a message, a screening and an interview by its real length; a failed screening charges nothing', async () => {
    const joined = await call('POST', '/users/recruiter-1', null, { email: 'recruiter-1@platform.example', name: 'Rae Cruiter' });
    expect(joined.status).toBe(201);
    await s.grant(joined.body.accountId, 10);

    expect((await call('POST', '/messages', 'recruiter-1', { to: 'cand-9', text: 'Hello' })).status).toBe(201);
    expect(sent).toEqual(['cand-9: Hello']);
    await expect.poll(() => available('recruiter-1')).toBe(9.9);

    expect((await call('POST', '/candidates/cand-9/screen', 'recruiter-1')).body).toEqual({ score: 87 });
    await expect.poll(() => available('recruiter-1')).toBe(7.9);

    // 5 minutes reserved (5 credits), 90 s used: 1.5 credits charged, the rest released.
    const interview = await call('POST', '/interviews', 'recruiter-1', { candidateId: 'cand-9', maxMinutes: 5 });
    expect(interview.status).toBe(201);
    expect(interview.body.durationSeconds).toBe(90);
    await expect.poll(() => credits.balance('recruiter-1').then((b) => [b.balance, b.reserved])).toEqual([6.4, 0]);

    screenFails = true;
    try {
      expect((await call('POST', '/candidates/cand-10/screen', 'recruiter-1')).status).toBe(500);
    } finally {
      screenFails = false;
    }
    await expect.poll(() => credits.balance('recruiter-1').then((b) => [b.balance, b.reserved])).toEqual([6.4, 0]);
    const history = await s.api.withToken(await s.tokenFor(joined.body.accountId)).get('/api/credits/transactions?type=usage');
    expect(history.body.items).toHaveLength(3);
  });

  it('answers 402 in the contract’s shape to a user who cannot afford it, and does not do the work', async () => {
    await call('POST', '/users/recruiter-2', null, { name: 'Broke' });
    const before = sent.length;
    const r = await call('POST', '/messages', 'recruiter-2', { to: 'cand-1', text: 'Hi' });
    expect(r.status).toBe(402);
    expect(r.body).toEqual({
      error: { code: 'insufficient_credits', message: expect.any(String), details: { required: 0.1, available: 0 } },
    });
    expect(sent.length).toBe(before);
    expect(await credits.balance('recruiter-2')).toMatchObject({ balance: 0, reserved: 0 });
  });
});
