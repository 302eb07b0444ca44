/**
 * Operations endpoints and server-side access rules:
 * - /metrics in production needs METRICS_TOKEN (Bearer) or lives on METRICS_PORT only;
 * - API_DOCS=false turns /docs and /openapi.json off;
 * - the VAPI webhook secret is generated in DATA_DIR when unset, always required, and
 *   start-up says where it is and which header carries it;
 * - at most MAX_STREAMS_PER_USER balance streams per user: the oldest is closed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const PROD = { NODE_ENV: 'production' };
const TOKEN = 'metrics-token-0123456789abcdef';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Reads SSE events from a stream until it ends or `stop` says so. */
async function readEvents(
  res: Response,
  onEvent: (e: { event: string; data: string }) => boolean | undefined,
): Promise<'ended' | 'stopped'> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return 'ended';
    buf += decoder.decode(value, { stream: true });
    let i = buf.indexOf('\n\n');
    while (i >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (event && onEvent({ event, data })) {
        await reader.cancel();
        return 'stopped';
      }
      i = buf.indexOf('\n\n');
    }
  }
}

describe.each(await activeDialects())('operations endpoints and access on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { MAX_STREAMS_PER_USER: '2' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('in production, /metrics is off without METRICS_TOKEN or METRICS_PORT, and needs the token when set', async () => {
    const off = await startTestServer(dialect, PROD);
    try {
      expect((await off.api.get('/metrics')).status).toBe(404);
      expect(off.running.notices.join('\n')).toMatch(/metrics: off/);
      // Production writes no secret of its own: without VAPI_WEBHOOK_SECRET every report is refused.
      expect(existsSync(join(off.dataDir, 'vapi-webhook-secret'))).toBe(false);
      expect(off.running.notices.join('\n')).toMatch(/VAPI webhook: refuses every report until VAPI_WEBHOOK_SECRET is set/);
      const report = { message: { type: 'end-of-call-report', call: { id: 'x' }, durationSeconds: 1 } };
      expect((await off.api.post('/api/vapi/webhook', report)).status).toBe(401);
      expect((await off.api.post('/api/vapi/webhook', report, { 'x-vapi-secret': '' })).status).toBe(401);
    } finally {
      await off.stop();
    }
    const guarded = await startTestServer(dialect, { ...PROD, METRICS_TOKEN: TOKEN });
    try {
      expect((await guarded.api.get('/metrics')).status).toBe(401);
      expect((await guarded.api.get('/metrics', { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
      const ok = await guarded.api.get('/metrics', { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(ok.text).toMatch(/credits_charged_total|http_request_duration_seconds/);
    } finally {
      await guarded.stop();
    }
  });

  it('with METRICS_PORT, /metrics is served on that port only (with the token when set)', async () => {
    const port = await freePort();
    const p = await startTestServer(dialect, { ...PROD, METRICS_PORT: String(port), METRICS_TOKEN: TOKEN });
    try {
      expect(p.running.metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
      expect((await p.api.get('/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
      expect((await fetch(p.running.metricsUrl as string)).status).toBe(401);
      const ok = await fetch(p.running.metricsUrl as string, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/ledger_writer_batch_size/);
      expect((await fetch(`http://127.0.0.1:${port}/api/config`)).status).toBe(404);
      expect(p.running.notices.join('\n')).toContain(`metrics: http://127.0.0.1:${port}/metrics`);
    } finally {
      await p.stop();
    }
  });

  it('API_DOCS=false turns /docs and /openapi.json off', async () => {
    const p = await startTestServer(dialect, { API_DOCS: 'false' });
    try {
      expect((await p.api.get('/openapi.json')).status).toBe(404);
      expect((await fetch(`${p.url}/docs`)).status).toBe(404);
      expect((await fetch(`${p.url}/docs/json`)).status).toBe(404);
      expect((await p.api.get('/api/config')).status).toBe(200);
    } finally {
      await p.stop();
    }
    expect((await s.api.get('/openapi.json')).status).toBe(200);
  });

  it('generates the VAPI webhook secret in DATA_DIR outside production, requires it, and says where it is', async () => {
    const file = join(s.dataDir, 'vapi-webhook-secret');
    expect(s.running.config.vapi.webhookSecretFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const notice = s.running.notices.find((n) => n.startsWith('VAPI webhook'));
    expect(notice).toContain(file);
    expect(notice).toContain('x-vapi-secret');
    expect(notice).toContain('/api/vapi/webhook');

    const report = { message: { type: 'end-of-call-report', call: { id: 'no-such-call' }, durationSeconds: 60 } };
    expect((await s.api.post('/api/vapi/webhook', report)).status).toBe(401);
    expect((await s.api.post('/api/vapi/webhook', report, { 'x-vapi-secret': `${secret}x` })).status).toBe(401);
    expect((await s.api.post('/api/vapi/webhook', report, { 'x-vapi-secret': secret })).status).toBe(200);

    // A restart (or a second instance on the same DATA_DIR) keeps the same secret.
    expect(loadConfig({ ...s.env, VAPI_WEBHOOK_SECRET: '' } as NodeJS.ProcessEnv).vapi.webhookSecret).toBe(secret);
    // Production with a real VAPI key must be given the secret: instances cannot each make their own.
    expect(() => loadConfig({ ...s.env, NODE_ENV: 'production', VAPI_API_KEY: 'k' } as NodeJS.ProcessEnv)).toThrow(ConfigError);
  });

  it('keeps at most MAX_STREAMS_PER_USER balance streams per user open: the oldest is closed', async () => {
    const u = await s.register();
    const other = await s.register();
    const open = () => fetch(`${s.url}/api/credits/stream`, { headers: { authorization: `Bearer ${u.token}` } });
    const first = await open();
    expect(first.headers.get('cache-control')).toMatch(/no-store/);
    const firstEvents: string[] = [];
    const firstDone = readEvents(first, (e) => {
      firstEvents.push(e.event);
      return undefined;
    });
    const secondRes = await open();
    const theirs = await fetch(`${s.url}/api/credits/stream`, { headers: { authorization: `Bearer ${other.token}` } });
    const third = await open();
    // The first (oldest) is told why and ended.
    expect(await firstDone).toBe('ended');
    expect(firstEvents).toEqual(['balance', 'closed']);
    // The two newest still hear balance changes; another user's stream is untouched.
    const heard = (res: Response) => readEvents(res, (e) => e.event === 'balance' && JSON.parse(e.data).balance === 7);
    const waits = [heard(secondRes), heard(third)];
    await s.grant(u.user.id, 7);
    expect(await Promise.all(waits)).toEqual(['stopped', 'stopped']);
    const theirsHeard = readEvents(theirs, (e) => e.event === 'balance' && JSON.parse(e.data).balance === 3);
    await s.grant(other.user.id, 3);
    expect(await theirsHeard).toBe('stopped');
  });

  it('a stream ends with its token: after a sign-out the next change is not sent, the stream says `closed` (unauthorized)', async () => {
    const u = await s.register();
    const res = await fetch(`${s.url}/api/credits/stream`, { headers: { authorization: `Bearer ${u.token}` } });
    const events: { event: string; data: string }[] = [];
    const done = readEvents(res, (e) => {
      events.push(e);
      return undefined;
    });
    await sleep(1100); // past the second within which a change goes out on the last check
    expect((await u.api.post('/api/auth/logout', {})).status).toBe(200);
    await s.grant(u.user.id, 5);
    expect(await done).toBe('ended');
    // Until 6 December the stream went on: `balance` with 5 credits, to a token that was 401 everywhere else.
    expect(events.map((e) => e.event)).toEqual(['balance', 'closed']);
    expect(JSON.parse(events[1]?.data ?? '{}')).toEqual({ reason: 'unauthorized' });
  });
});
