/**
 * `GET /health/live` over HTTP is answered by Node's server before Fastify routes it
 * (src/server/live-probe.ts): the same status, headers and body as Fastify's route (which
 * `app.inject`, `HEAD` and a query string still reach), one sequence of request ids, the
 * same request line, and the same histogram series. With CORS_ORIGIN set, Fastify answers
 * the probe (the CORS plugin's headers).
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

/** Headers that differ between two answers by nature: the time and the request id. */
function stable(h: Record<string, unknown>) {
  const { date: _d, 'x-request-id': _id, connection: _c, 'keep-alive': _k, ...rest } = h;
  return rest;
}

describe.each(await activeDialects())('the liveness probe before the router on %s', (dialect) => {
  let s: TestServer;
  /** URLs that went through Fastify's pipeline (an app-wide onRequest hook sees them). */
  const routed: string[] = [];
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const stream = { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) };
    s = await startTestServer(
      dialect,
      {},
      undefined,
      { level: 'info', stream },
      {
        extraRoutes: (app) => {
          app.addHook('onRequest', (req, _reply, done) => {
            routed.push(`${req.method} ${req.url}`);
            done();
          });
        },
      },
    );
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("answers an exact GET /health/live before Fastify, with the Fastify route's status, headers and body", async () => {
    const direct = await fetch(`${s.url}/health/live`);
    const body = await direct.text();
    expect(routed).not.toContain('GET /health/live');
    const viaFastify = await s.running.app.inject({ method: 'GET', url: '/health/live' });
    expect(routed).toContain('GET /health/live');
    expect(direct.status).toBe(viaFastify.statusCode);
    expect(body).toBe(viaFastify.body);
    expect(body).toBe('{"status":"ok"}');
    expect(stable(Object.fromEntries(direct.headers))).toEqual(stable(viaFastify.headers));
    expect(direct.headers.get('x-content-type-options')).toBe('nosniff');
    expect(direct.headers.get('connection')).toBe('keep-alive');
    // Header order as Fastify writes it (raw response).
    const raw = await new Promise<string[]>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${s.url}/health/live`, (res) => {
          res.resume();
          res.on('end', () => resolve(res.rawHeaders.filter((_, i) => i % 2 === 0)));
        }).on('error', reject),
      );
    });
    expect(raw).toEqual(['x-request-id', 'x-content-type-options', 'content-type', 'content-length', 'Date', 'Connection', 'Keep-Alive']);
  });

  it('keeps the timeouts Fastify gives the server it makes itself', () => {
    const server = s.running.app.server;
    const defaults = Fastify().initialConfig;
    expect(server.keepAliveTimeout).toBe(defaults.keepAliveTimeout);
    // Fastify's default (0: none) where Node's own is five minutes; not in initialConfig's type.
    expect(server.requestTimeout).toBe((defaults as { requestTimeout?: number }).requestTimeout);
    expect(server.requestTimeout).toBe(0);
    expect(server.timeout).toBe(defaults.connectionTimeout);
  });

  it('sends HEAD, a query string and other paths to Fastify', async () => {
    routed.length = 0;
    expect((await fetch(`${s.url}/health/live?x=1`)).status).toBe(200);
    expect((await fetch(`${s.url}/health/live`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${s.url}/health/live/`)).status).toBe(404);
    expect((await fetch(`${s.url}/health/ready`)).status).toBe(200);
    expect(routed).toEqual(['GET /health/live?x=1', 'HEAD /health/live', 'GET /health/live/', 'GET /health/ready']);
  });

  it('takes its request id from the app’s sequence and logs the request line Fastify logs', async () => {
    lines.length = 0;
    const a = await fetch(`${s.url}/health/live`);
    const b = await fetch(`${s.url}/health/live?via=fastify`);
    const c = await fetch(`${s.url}/health/live`);
    const ids = [a, b, c].map((r) => r.headers.get('x-request-id') ?? '');
    // One process-wide prefix and a counter (request-log.ts, requestIds): consecutive.
    const counter = ids.map((id) => Number.parseInt(id.slice(24), 16));
    expect(new Set(ids.map((id) => id.slice(0, 24))).size).toBe(1);
    expect(counter).toEqual([counter[0], (counter[0] as number) + 1, (counter[0] as number) + 2]);
    // The lines are written at the answer's finish (Fastify) or just after it (the probe).
    await new Promise((r) => setTimeout(r, 50));
    const requestLines = lines.filter((l) => l.msg === 'request');
    expect(requestLines.map((l) => l.reqId)).toEqual(ids);
    for (const [i, l] of requestLines.entries()) {
      expect(Object.keys(l)).toEqual(['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'url', 'status', 'ms', 'msg']);
      expect(l).toMatchObject({ level: 30, method: 'GET', url: i === 1 ? '/health/live?via=fastify' : '/health/live', status: 200 });
      expect(l.ms).toEqual(expect.any(Number));
    }
  });

  it('counts its answers in the route’s one histogram series', async () => {
    const series = async () =>
      (await s.api.get('/metrics')).text
        .split('\n')
        .filter((l) => l.startsWith('http_request_duration_seconds_count{method="GET",route="/health/live"'));
    const before = await series();
    expect(before).toHaveLength(1);
    await fetch(`${s.url}/health/live`);
    await fetch(`${s.url}/health/live?q`);
    await s.running.app.inject({ method: 'GET', url: '/health/live' });
    const after = await series();
    expect(after).toHaveLength(1);
    const n = (l: string[]) => Number(l[0]?.split(' ')[1]);
    expect(n(after) - n(before)).toBe(3);
  });
});

describe.each(await activeDialects())('the liveness probe with CORS_ORIGIN on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { CORS_ORIGIN: 'https://app.example' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('is answered by Fastify, with the CORS headers', async () => {
    const r = await fetch(`${s.url}/health/live`, { headers: { origin: 'https://app.example' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(r.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });
});
