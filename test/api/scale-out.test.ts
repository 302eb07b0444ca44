/**
 * Two instances on one PostgreSQL: a race on one account across both is decided by the
 * database, and each instance's SSE subscribers hear balance changes made on the other
 * (LISTEN/NOTIFY). The race runs on two real server processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { createTestDb, postgresAvailable, type TestDb, testLedgerKey } from '../support/db.js';
import { Client, type TestServer, startTestServer, having } from '../support/server.js';
import { databaseEnv, kill9, type ServerProcess, spawnServer } from '../support/spawn-server.js';

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
          const data = buf
            .slice(0, i)
            .split('\n')
            .find((l) => l.startsWith('data: '));
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

  it("pushes a balance change made on one instance to the other's stream", async () => {
    const u = await a.register();
    await a.grant(u.user.id, 1);
    const ctrl = new AbortController();
    const stream = await openStream(b.url, u.token, ctrl.signal);
    // The first event says the stream is subscribed; only then is the debit made on A.
    expect(await stream.next()).toMatchObject({ balance: 1 });
    expect((await a.api.withToken(u.token).post('/api/messages', { to: 'x', body: 'y' })).status).toBe(201);
    // The grant's own NOTIFY may still reach B after the stream opened (another `balance: 1`):
    // read on until the debit's event, which must come within 10 s.
    const deadline = Date.now() + 10_000;
    let got: Record<string, number>;
    do {
      got = await Promise.race([
        stream.next(),
        new Promise<never>((_, rej) =>
          setTimeout(() => rej(new Error('no event from the other instance')), Math.max(1, deadline - Date.now())),
        ),
      ]);
    } while (got.balance === 1);
    ctrl.abort();
    expect(got).toMatchObject({ balance: 0.9, available: 0.9 });
  });
});

describe.runIf(pg)('two server processes on one PostgreSQL', () => {
  let db: TestDb;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    db = await createTestDb('postgres');
    // Each signs up new users with exactly 60 credits: 600 messages at 0.1.
    // The race is about the ledger, not load shedding: 1,000 requests at once on a machine
    // the other test files share can delay a process's event loop past the 1 s trigger (here
    // 67 to 351 of them were shed so, the same through tsx and the bundle), and a shed request
    // is neither 201 nor 402. That trigger is off; the in-progress cap (512, above the 500 each
    // instance gets) stays, as in test/support/server.ts and the API tour's test.
    const env = { ...databaseEnv(db, 4), SIGNUP_BONUS_CREDITS: '60', MAX_EVENT_LOOP_DELAY_MS: '0' };
    servers.push(...(await Promise.all([spawnServer(env), spawnServer(env)])));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => kill9(s.child)));
    await db?.dispose();
  });

  it('lets exactly 600 of 1,000 concurrent debits through, across both, and both streams see the end', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const reg = await new Client(a.url).post('/api/auth/register', {
      email: 'race@example.com',
      password: 'race-Lantern-orbit-9',
      name: 'Race',
    });
    expect(reg.status).toBe(201);
    const token = having(reg.body, 'token').token as string;
    const onA = new Client(a.url, token);
    const onB = new Client(b.url, token);
    const ctrl = new AbortController();
    const streams = [await openStream(a.url, token, ctrl.signal), await openStream(b.url, token, ctrl.signal)];
    for (const s of streams) expect(await s.next()).toMatchObject({ balance: 60 });
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (i % 2 ? onA : onB).post('/api/messages', { to: 'x', body: 'y' })),
    );
    const passed = [
      results.filter((r, i) => i % 2 === 1 && r.status === 201).length,
      results.filter((r, i) => i % 2 === 0 && r.status === 201).length,
    ];
    expect(results.filter((r) => r.status === 201)).toHaveLength(600);
    expect(results.filter((r) => r.status === 402)).toHaveLength(400);
    // Both processes took part in the race.
    expect(passed[0]).toBeGreaterThan(0);
    expect(passed[1]).toBeGreaterThan(0);
    expect((await onB.get('/api/credits/balance')).body.balance).toBe(0);
    expect((await onA.get('/api/credits/balance')).body.balance).toBe(0);
    // Every subscriber, on either process, ends on the final balance.
    await Promise.all(
      streams.map(async (s, i) => {
        const deadline = Date.now() + 15_000;
        for (;;) {
          const ev = await Promise.race([
            s.next(),
            new Promise<never>((_, rej) =>
              setTimeout(() => rej(new Error(`stream ${i ? 'B' : 'A'} never showed balance 0`)), Math.max(1, deadline - Date.now())),
            ),
          ]);
          if ((ev as { balance: number }).balance === 0) return;
        }
      }),
    );
    ctrl.abort();
    expect((await verifyLedger(db.database.db, testLedgerKey)).violations).toEqual([]);
    console.info(
      `[scale-out race] 1,000 debits on 60 credits over two processes: 600 passed (${passed[0]} on A, ${passed[1]} on B), 400 refused 402, both streams ended on 0`,
    );
  });
});
