/**
 * While the service is stopping, answers close their connections: an answer of a request
 * that was in flight when the stop began, and a health probe's answer, say
 * `Connection: close` (the response class of app.ts); before the stop, connections are
 * kept alive. (The refusal of new requests while stopping: test/cli/shutdown.test.ts.)
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

/** One GET on a connection of its own, asking to keep it alive: the answer's status and Connection header. */
function get(url: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(await activeDialects())('connections while stopping on %s', (dialect) => {
  let s: TestServer;
  let release: () => void = () => {};
  let arrived: () => void = () => {};
  const inFlight = new Promise<void>((r) => {
    arrived = r;
  });
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, undefined, false, {
      extraRoutes: (app) => {
        app.get('/test/slow', async () => {
          arrived();
          await new Promise<void>((r) => {
            release = r;
          });
          return { ok: true };
        });
      },
    });
  });
  afterAll(async () => {
    s.running.lifecycle.stopping = false;
    await s?.stop();
  });

  it('keeps connections alive, then closes those whose answers are written once the stop has begun', async () => {
    expect(await get(`${s.url}/health/live`)).toEqual({ status: 200, connection: 'keep-alive' });
    const slow = get(`${s.url}/test/slow`);
    await inFlight;
    s.running.lifecycle.stopping = true;
    release();
    expect(await slow).toEqual({ status: 200, connection: 'close' });
    expect(await get(`${s.url}/health/live`)).toEqual({ status: 200, connection: 'close' });
    const refused = await get(`${s.url}/api/credits/balance`);
    expect(refused).toEqual({ status: 503, connection: 'close' });
  });
});
