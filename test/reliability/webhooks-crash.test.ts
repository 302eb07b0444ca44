/**
 * Events out under faults, with servers in processes of their own:
 *
 * 1. kill -9 of the server while its attempts are in flight (the receiver holds them
 *    unanswered): a restarted server sends every event again once the dead one's leases
 *    run out, and each ends `succeeded`; none is lost.
 * 2. Two instances on one PostgreSQL polling the same outbox: no attempt is ever in flight
 *    twice at once, and every event arrives exactly once (every answer is a 2xx).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { activeDialects, createTestDb, type TestDb } from '../support/db.js';
import { until } from '../support/poll.js';
import { type ServerProcess, databaseEnv, kill9, spawnServer } from '../support/spawn-server.js';
import { type Receiver, startReceiver, verifyStandardWebhook } from '../support/webhook-receiver.js';

const WEBHOOK_ENV = {
  // Local receivers are plain http on loopback: the production URL rules are tested in core.
  NODE_ENV: 'test',
  WEBHOOKS_POLL_MS: '50',
  WEBHOOKS_TIMEOUT_MS: '1000',
  WEBHOOKS_LEASE_MS: '1500',
  WEBHOOKS_SCHEDULE_SCALE: '0.001',
  AUTH_RATE_LIMIT: '100000',
  // What is tested is delivery, not load shedding: a busy machine delaying a fresh
  // process's event loop must not turn the setup's requests into 503s.
  MAX_EVENT_LOOP_DELAY_MS: '0',
};

async function post(url: string, path: string, body: unknown, token?: string, key?: string) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { token: string; user: { id: string }; secret: string };
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return { status: res.status, body: answer };
}

describe.each(await activeDialects())('webhooks under faults on %s', (dialect) => {
  let db: TestDb;
  let dataDir: string;
  let rx: Receiver | undefined;
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await kill9(s.child);
    await rx?.close();
    await db?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function setUp(behave: Receiver['behave']) {
    db = await createTestDb(dialect, { synchronous: 'FULL' });
    dataDir = mkdtempSync(join(tmpdir(), 'credits-hooks-'));
    rx = await startReceiver(behave);
    const env = { DATA_DIR: dataDir, ...databaseEnv(db, 4), ...WEBHOOK_ENV };
    const start = async () => {
      const s = await spawnServer(env);
      servers.push(s);
      return s;
    };
    return { env, start };
  }

  /** An admin's token and an endpoint for every purchase; then `n` purchases by one user. */
  async function endpointAndPurchases(url: string, n: number) {
    const reg = await post(url, '/api/auth/register', {
      email: `admin-${Date.now()}@example.com`,
      password: 'kiwi-lantern-Orbit-73',
      name: 'Admin',
    });
    await db.database.db.updateTable('users').set({ role: 'admin' }).where('id', '=', reg.body.user.id).execute();
    const ep = await post(url, '/api/admin/webhook-endpoints', { url: `${rx?.url}/hook`, events: ['credits.purchased'] }, reg.body.token);
    expect(ep.status).toBe(201);
    const buyer = await post(url, '/api/auth/register', {
      email: `buyer-${Date.now()}@example.com`,
      password: 'kiwi-lantern-Orbit-73',
      name: 'Buyer',
    });
    for (let i = 0; i < n; i++) {
      expect((await post(url, '/api/credits/purchase', { packageId: 'pkg_starter' }, buyer.body.token, `buy-${i}`)).status).toBe(201);
    }
    return ep.body.secret;
  }

  it('kill -9 mid-delivery loses no event: a restarted server sends each again and it succeeds', async () => {
    // Every event's first attempt is held unanswered (the server dies holding it); later ones succeed.
    const { start } = await setUp((_r, nth) => (nth === 1 ? 'hang' : { status: 200 }));
    const a = await start();
    const secret = await endpointAndPurchases(a.url, 5);
    const events = (await db.database.db.selectFrom('events').select('id').execute()).map((e) => e.id);
    expect(events).toHaveLength(5);
    await until('every first attempt in flight', () => events.every((id) => rx?.received.some((r) => r.id === id)));
    await kill9(a.child);
    servers.splice(servers.indexOf(a), 1);

    await start();
    const rows = await until(
      'every delivery succeeded',
      async () => {
        const r = await db.database.db.selectFrom('webhook_deliveries').selectAll().execute();
        return r.length === 5 && r.every((d) => d.status === 'succeeded') ? r : null;
      },
      30_000,
    );
    for (const id of events) {
      const got = rx?.received.filter((r) => r.id === id) ?? [];
      expect(got.length, id).toBeGreaterThanOrEqual(2);
      for (const r of got) expect(verifyStandardWebhook(secret, r).type).toBe('credits.purchased');
    }
    // The dead instance's attempts were never recorded; the restarted one's were.
    expect(rows.every((d) => d.attempts >= 1 && d.last_status_code === 200)).toBe(true);
  });

  it.runIf(dialect === 'postgres')('two instances never have one attempt in flight twice', async () => {
    const { start } = await setUp(() => ({ status: 200, delayMs: 120 }));
    const [a, b] = await Promise.all([start(), start()]);
    expect(a && b).toBeTruthy();
    await endpointAndPurchases((a as ServerProcess).url, 30);
    const events = (await db.database.db.selectFrom('events').select('id').execute()).map((e) => e.id);
    expect(events).toHaveLength(30);
    await until('every event delivered', () => events.every((id) => rx?.received.some((r) => r.id === id)), 30_000);
    await until('every delivery recorded', async () => {
      const r = await db.database.db.selectFrom('webhook_deliveries').select('status').execute();
      return r.every((d) => d.status === 'succeeded');
    });
    expect(rx?.maxInFlightPerId).toBe(1);
    // Every request is an attempt one claim recorded (a second claim of the same attempt
    // would send without counting): once each, unless an answer outlived the timeout on
    // this busy machine and was sent again.
    const rows = await db.database.db.selectFrom('webhook_deliveries').select(['event_id', 'attempts']).execute();
    expect(rows).toHaveLength(30);
    for (const d of rows) expect(rx?.received.filter((r) => r.id === d.event_id).length).toBe(d.attempts);
    const attempts = await db.database.db.selectFrom('webhook_attempts').select('id').execute();
    expect(attempts).toHaveLength(rx?.received.length ?? -1);
  });
});
