/**
 * Rolling restarts under metered load: two instances on one PostgreSQL database, each
 * restarted in turn ten times in all (SIGTERM, wait for it to exit, start it again on the
 * same port) while 32 clients spend credits. The clients play the load balancer: requests
 * go to the instances in turn, one that gets no answer or a 503 is sent again with the same
 * Idempotency-Key, and an instance that failed is left alone for 200 ms. Shown:
 *
 * - every stop exits 0 within SHUTDOWN_TIMEOUT_SECONDS;
 * - requests that reach a stopping instance on a kept-alive connection are answered 503
 *   `shutting_down` with Retry-After (and sent again), not cut off;
 * - no client ever sees a 5xx other than 503, and every 503 carries Retry-After;
 * - not one request lost or doubled: every key is acknowledged and is in the ledger exactly
 *   once, the balance is the start minus one message per key, and the ledger verifies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { createTestDb, postgresAvailable, type TestDb, usageRowsPerKey, testLedgerKey } from '../support/db.js';
import { databaseEnv, freePort, kill9, type ServerProcess, spawnServer } from '../support/spawn-server.js';
import { until } from '../support/poll.js';

const RESTARTS = Number(process.env.ROLLING_RESTARTS ?? 10);
const LANES = 32;
const MESSAGE_MC = 100;
const BONUS_CREDITS = 1_000_000;
const TIMEOUT_SECONDS = 25;

describe.runIf(await postgresAvailable())('rolling restarts of two instances under metered load (postgres)', () => {
  let db: TestDb;
  const servers: (ServerProcess | null)[] = [null, null];
  beforeAll(async () => {
    db = await createTestDb('postgres');
  });
  afterAll(async () => {
    for (const s of servers) if (s) await kill9(s.child);
    await db?.dispose();
  });

  it(`loses and doubles nothing over ${RESTARTS} restarts, and no client sees a 5xx but 503 with Retry-After`, {
    timeout: 900_000,
  }, async () => {
    const ports = [await freePort(), await freePort()];
    const start = (i: number) =>
      spawnServer({
        ...databaseEnv(db, 4),
        PORT: String(ports[i]),
        SIGNUP_BONUS_CREDITS: String(BONUS_CREDITS),
        SHUTDOWN_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      });
    servers[0] = await start(0);
    servers[1] = await start(1);
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);

    const reg = await fetch(`${urls[0]}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'rolling@example.com', password: 'kiwi-lantern-Orbit-73', name: 'Rolling' }),
    });
    expect(reg.status).toBe(201);
    const { token, user } = (await reg.json()) as { token: string; user: { id: string } };

    let nextKey = 0;
    let producing = true;
    const retry: string[] = [];
    const acked = new Set<string>();
    const sent = new Set<string>();
    const statuses = new Map<string, number>();
    const bad: string[] = [];
    let noAnswer = 0;
    let inflight = 0;
    /** The load balancer's memory: an instance that failed is left alone for a moment. */
    const downUntil = [0, 0];
    const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);

    const lane = async (n: number) => {
      let target = n % 2;
      for (;;) {
        const key = retry.shift() ?? (producing ? `k-${nextKey++}` : undefined);
        if (key === undefined) {
          // Done once nothing is in flight that might come back to be sent again.
          if (inflight === 0) return;
          // Idle: look for a key to retry again shortly (a lane's loop, not a wait of the test).
          await sleep(5);
          continue;
        }
        sent.add(key);
        inflight++;
        try {
          const r = await fetch(`${urls[target]}/api/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
            body: JSON.stringify({ to: '+15550001111', body: `message ${key}` }),
            signal: AbortSignal.timeout(30_000),
          });
          const text = await r.text();
          const reason = r.status === 503 ? (/"reason":"([^"]+)"/.exec(text)?.[1] ?? /"code":"([^"]+)"/.exec(text)?.[1] ?? '?') : '';
          count(reason ? `503 ${reason}` : String(r.status));
          if (r.status === 201) {
            acked.add(key);
          } else {
            if (r.status >= 500 && !(r.status === 503 && r.headers.get('retry-after')))
              bad.push(`${r.status} ${r.headers.get('retry-after')} ${text.slice(0, 200)}`);
            else if (r.status < 500 && r.status !== 409) bad.push(`${r.status} ${text.slice(0, 200)}`);
            // Refused (or the same key still running elsewhere): again, on the other instance.
            if (r.status === 503) downUntil[target] = Date.now() + 200;
            retry.push(key);
            await sleep(r.status === 409 ? 20 : 5); // a client's pause before it retries: a gap on purpose
          }
        } catch {
          // No answer (the instance is down, or cut the connection): again, on the other one.
          noAnswer++;
          downUntil[target] = Date.now() + 200;
          retry.push(key);
          await sleep(5); // the same pause before a retry
        } finally {
          inflight--;
        }
        // Round robin over the two instances, skipping one that just failed.
        target = 1 - target;
        if ((downUntil[target] ?? 0) > Date.now()) target = 1 - target;
      }
    };
    const lanes = Array.from({ length: LANES }, (_, n) => lane(n));

    const stops: number[] = [];
    const starts: number[] = [];
    for (let r = 0; r < RESTARTS; r++) {
      const i = r % 2;
      const progress = acked.size + 200;
      await until('200 more acknowledgements', () => acked.size >= progress, 120_000, 5);
      const s = servers[i] as ServerProcess;
      const exited = new Promise<number | null>((res) => s.child.once('exit', (code) => res(code)));
      const t0 = performance.now();
      s.child.kill('SIGTERM');
      const code = await exited;
      stops.push(Math.round(performance.now() - t0));
      expect(code, `restart ${r + 1}: ${s.stderr()}`).toBe(0);
      servers[i] = null;
      const t1 = performance.now();
      servers[i] = await start(i);
      starts.push(Math.round(performance.now() - t1));
    }
    producing = false;
    await Promise.all(lanes);

    const summary =
      `${RESTARTS} restarts; stops took ${JSON.stringify(stops)} ms, starts ${JSON.stringify(starts)} ms; ${acked.size} keys acknowledged, ` +
      `${noAnswer} requests without an answer (sent again), answers ${JSON.stringify(Object.fromEntries(statuses))}`;
    console.info(`[rolling restart] ${summary}`);
    expect(bad, summary).toEqual([]);
    // Requests sent on kept-alive connections to a stopping instance were refused with the
    // 503 the contract allows, not cut off.
    expect(statuses.get('503 shutting_down') ?? 0, summary).toBeGreaterThan(0);
    for (const ms of stops) expect(ms).toBeLessThan(TIMEOUT_SECONDS * 1000);
    expect(acked.size).toBe(sent.size);
    const counts = await usageRowsPerKey(db.database.db, user.id);
    expect(
      [...counts.entries()].filter(([, n]) => n !== 1),
      'a key applied twice',
    ).toEqual([]);
    expect(
      [...acked].filter((k) => counts.get(k) !== 1),
      'acknowledged but not in the ledger once',
    ).toEqual([]);
    expect(counts.size).toBe(acked.size);
    const acct = await db.database.db
      .selectFrom('user_credits')
      .select('balance_mc')
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(acct.balance_mc).toBe(BONUS_CREDITS * 1000 - acked.size * MESSAGE_MC);
    expect((await verifyLedger(db.database.db, testLedgerKey)).violations).toEqual([]);
  });
});
