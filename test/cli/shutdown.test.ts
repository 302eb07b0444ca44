/**
 * Graceful stop. While stopping, a request that still arrives (on a kept-alive connection)
 * is refused with 503, Retry-After and Connection: close, and nothing is done; readiness
 * says 503 so a load balancer stops sending; liveness stays 200. `credits serve` on
 * SIGTERM stops listening, ends balance streams at once, answers a request sent on an idle
 * kept-alive connection with that 503 (instead of cutting the connection under it), lets
 * requests in flight finish, cuts one that hangs when SHUTDOWN_TIMEOUT_SECONDS is nearly
 * up, drains the writer, and exits 0 within the timeout; every request it acknowledged is
 * committed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { startTestServer } from '../support/server.js';
import { until } from '../support/poll.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);

describe.each(await activeDialects())('while the service stops (%s)', (dialect) => {
  it('refuses new requests with 503, Retry-After and Connection: close, and writes nothing', async () => {
    const s = await startTestServer(dialect);
    try {
      const { api, user } = await s.register();
      await s.grant(user.id, 10);
      const before = (await api.get('/api/credits/balance')).body.balance;
      s.running.lifecycle.stopping = true;
      const refused = await api.post('/api/messages', { to: 'x', body: 'late' }, { 'idempotency-key': 'late-1' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('connection')).toBe('close');
      expect(refused.error).toMatchObject({ code: 'overloaded', details: { reason: 'shutting_down' } });
      const ready = await s.api.get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('stopping');
      expect((await s.api.get('/health/live')).status).toBe(200);
      s.running.lifecycle.stopping = false;
      expect((await api.get('/api/credits/balance')).body.balance).toBe(before);
      // The refused key was never used: sent again, it runs.
      expect((await api.post('/api/messages', { to: 'x', body: 'late' }, { 'idempotency-key': 'late-1' })).status).toBe(201);
    } finally {
      await s.stop();
    }
  });
});

describe('credits serve on SIGTERM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'credits-stop-'));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: '',
    SIGNUP_BONUS_CREDITS: '100',
    SHUTDOWN_TIMEOUT_SECONDS: '3',
    // Shutdown, not load shedding, is under test here (test/reliability/overload covers that):
    // a server just started on a loaded machine can pass 1 s of event-loop delay and shed a
    // request with 503 overloaded, as it did once in CI at 48a5f1e.
    MAX_EVENT_LOOP_DELAY_MS: '0',
  };
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  function serve(): Promise<{ child: ChildProcess; url: string; out: () => string }> {
    const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
      child.stdout?.on('data', () => {
        const m = /serving on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve({ child, url: m[1] as string, out: () => out });
        }
      });
    });
  }

  it('ends streams at once, finishes requests in flight, cuts a hanging one in time, and exits 0 within SHUTDOWN_TIMEOUT_SECONDS', {
    timeout: 120_000,
  }, async () => {
    const { child, url, out } = await serve();
    const reg = await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'stop@example.com', password: 'kiwi-lantern-Orbit-73', name: 'Stop' }),
    });
    const { token } = (await reg.json()) as { token: string };

    // A balance stream, open.
    const stream = await fetch(`${url}/api/credits/stream`, { headers: { authorization: `Bearer ${token}` } });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    // A request whose body never completes: it hangs until it is cut.
    const { port } = new URL(url);
    const hanging = connect(Number(port), '127.0.0.1');
    await new Promise((r) => hanging.once('connect', r));
    hanging.write(
      `POST /api/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${token}\r\ncontent-length: 200\r\n\r\n{"to":`,
    );
    let hangingAnswer = '';
    hanging.on('data', (d) => (hangingAnswer += d));
    const hangingClosed = new Promise((r) => hanging.once('close', r));
    hanging.on('error', () => {});
    // Metered requests in flight.
    const send = () =>
      fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ to: 'x', body: 'drain' }),
      })
        .then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() }))
        .catch(() => ({ status: 0, retryAfter: null, body: '' }));
    let answered = 0;
    const inflight = Array.from({ length: 100 }, () => send().finally(() => answered++));
    await until('a first answer', () => answered > 0, 60_000, 1);

    // A kept-alive connection, idle when the stop begins.
    const kept = connect(Number(port), '127.0.0.1');
    await new Promise((r) => kept.once('connect', r));
    let keptAnswer = '';
    kept.on('data', (d) => (keptAnswer += d));
    kept.on('error', () => {});
    const keptClosed = new Promise((r) => kept.once('close', r));
    kept.write('GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n');
    await until('the kept-alive connection to be answered', () => keptAnswer.includes('"ok"'), 20_000, 5);
    keptAnswer = '';

    // The exit's code and when it came, taken in the listener: the test awaits the answers in
    // flight first, and reading the clock after those would count their lateness too.
    const exit = new Promise<{ code: number | null; at: number }>((r) => child.once('exit', (code) => r({ code, at: performance.now() })));
    const t0 = performance.now();
    child.kill('SIGTERM');
    const streamEnded = reader.read().then(() => performance.now() - t0);
    // Once it has stopped listening, a request sent on the kept-alive connection is
    // refused with 503, Retry-After and Connection: close, and the connection closes.
    const refusedConnection = () =>
      new Promise<boolean>((resolve) => {
        const c = connect(Number(port), '127.0.0.1');
        c.once('connect', () => {
          c.destroy();
          resolve(false);
        });
        c.once('error', () => resolve(true));
      });
    await until('the server to stop listening', refusedConnection, 20_000, 5);
    const late = JSON.stringify({ to: 'x', body: 'late' });
    kept.write(
      `POST /api/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${token}\r\nidempotency-key: late-1\r\ncontent-length: ${late.length}\r\n\r\n${late}`,
    );
    await keptClosed;
    expect(keptAnswer).toMatch(/^HTTP\/1\.1 503 /);
    expect(keptAnswer).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(keptAnswer).toMatch(/\r\nconnection: close\r\n/i);
    expect(keptAnswer).toMatch(/"code":"overloaded".*"reason":"shutting_down"/);
    const results = await Promise.all(inflight);
    const { code, at } = await exit;
    const stoppedMs = at - t0;
    await hangingClosed;

    expect(code, out()).toBe(0);
    expect(out()).toMatch(/stopped cleanly/);
    // The stream did not hold the stop up; the hanging request did, until it was cut
    // (0.6 s before the 3 s timeout), and the process still exited within the timeout.
    expect(await streamEnded).toBeLessThan(1000);
    expect(stoppedMs).toBeGreaterThan(2000);
    expect(stoppedMs).toBeLessThan(3000 + 500);
    expect(hangingAnswer).toBe('');
    // Every answer is a 201, or a 503 with Retry-After (refused, nothing done), or none.
    expect(results.filter((r) => r.status !== 201 && r.status !== 0 && !(r.status === 503 && r.retryAfter === '1'))).toEqual([]);
    const acked = results.filter((r) => r.status === 201).length;
    expect(acked).toBeGreaterThan(0);
    const db = new Database(join(dataDir, 'credits.db'), { readonly: true });
    const used = db.prepare("select count(*) n from usage_tracking where operation = 'message'").get() as { n: number };
    db.close();
    // Acknowledged ones are committed; a request cut off without an answer may have been too.
    expect(used.n).toBeGreaterThanOrEqual(acked);
    expect(used.n).toBeLessThanOrEqual(results.filter((r) => r.status === 201 || r.status === 0).length);
    const lateRows = new Database(join(dataDir, 'credits.db'), { readonly: true });
    expect(lateRows.prepare("select count(*) n from credit_transactions where idempotency_key like '%late-1'").get()).toEqual({ n: 0 });
    lateRows.close();
    const verify = await run(process.execPath, [...nodeArgs('src/cli/main.ts'), 'verify'], { env });
    expect(verify.stdout).toMatch(/verify: clean/);
  });

  it('with nothing in flight, stops at once', { timeout: 60_000 }, async () => {
    const { child } = await serve();
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const t0 = performance.now();
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
