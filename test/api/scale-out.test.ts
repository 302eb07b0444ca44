/**
 * Two instances on one PostgreSQL: a race on one account across both is decided by the
 * database, and each instance's SSE subscribers hear balance changes made on the other
 * (LISTEN/NOTIFY).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { postgresAvailable } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const pg = await postgresAvailable();

/** Reads a user's SSE stream; `next()` resolves with the next balance event. */
async function openStream(url: string, token: string, signal: AbortSignal) {
  const res = await fetch(`${url}/api/credits/stream`, { headers: { authorization: `Bearer ${token}` }, signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = '';
  return {
    async next(): Promise<Record<string, number>> {
      for (;;) {
        const i = buf.indexOf('\n\n');
        if (i >= 0) {
          const data = buf.slice(0, i).split('\n').find((l) => l.startsWith('data: '));
          buf = buf.slice(i + 2);
          if (data) return JSON.parse(data.slice(6));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += dec.decode(value, { stream: true });
      }
    },
  };
}

describe.runIf(pg)('two instances on one PostgreSQL', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer('postgres');
    b = await startTestServer('postgres', {}, a);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('lets exactly as many debits through as the credits cover, across both', async () => {
    const u = await a.register();
    await a.grant(u.user.id, 20);
    const onA = a.api.withToken(u.token);
    const onB = b.api.withToken(u.token);
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? onA : onB).post('/api/messages', { to: 'x', body: 'y' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(200);
    expect(results.filter((r) => r.status === 402)).toHaveLength(100);
    expect((await onB.get('/api/credits/balance')).body.balance).toBe(0);
    expect((await verifyLedger(a.running.core.database.db)).violations).toEqual([]);
  });

  it("pushes a balance change made on one instance to the other's stream", async () => {
    const u = await a.register();
    await a.grant(u.user.id, 1);
    const ctrl = new AbortController();
    const stream = await openStream(b.url, u.token, ctrl.signal);
    // The first event says the stream is subscribed; only then is the debit made on A.
    expect(await stream.next()).toMatchObject({ balance: 1 });
    expect((await a.api.withToken(u.token).post('/api/messages', { to: 'x', body: 'y' })).status).toBe(201);
    const got = await Promise.race([stream.next(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no event from the other instance')), 10_000))]);
    ctrl.abort();
    expect(got).toMatchObject({ balance: 0.9, available: 0.9 });
  });
});
