/**
 * The event-loop-delay and heap limits of the load shedding (src/server/plugins/load-shedding.ts):
 * past either, an API request is answered 503 `overloaded` with Retry-After and the limit as
 * its reason, before authentication; /health stays answered; and once the event loop is
 * responsive again the API answers as usual. The server runs in the test's process, so the
 * event loop blocked here is the server's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The status of GET /api/credits/balance once it is not a 503 (polled: start-up and a loaded machine delay the loop too), or 503. */
async function statusOnceResponsive(url: string): Promise<number> {
  let status = 503;
  for (let i = 0; i < 50 && status === 503; i++) {
    status = (await fetch(`${url}/api/credits/balance`)).status;
    if (status === 503) await sleep(100);
  }
  return status;
}

describe.each(await activeDialects())('load shedding by event-loop delay and heap on %s', (dialect) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('sheds the API (not /health) while the heap is above its limit', async () => {
    // 1 MB: the heap is always above it, from the first sample (every 250 ms) on.
    server = await startTestServer(dialect, { MAX_HEAP_USED_MB: '1' });
    await sleep(600);
    const r = await fetch(`${server.url}/api/credits/balance`);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    const body = (await r.json()) as { error: { code: string; details: { reason: string } } };
    expect(body.error).toMatchObject({ code: 'overloaded', details: { reason: 'heapUsedBytes' } });
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });

  it('sheds the API after the event loop was blocked, and serves it again once it is not', async () => {
    server = await startTestServer(dialect, { MAX_EVENT_LOOP_DELAY_MS: '200', MAX_HEAP_USED_MB: '0' });
    // Not under pressure: an unauthenticated request reaches authentication (401).
    expect(await statusOnceResponsive(server.url)).toBe(401);
    // Block the event loop for 0.6 s, three times: each time the next sample sees it, whichever
    // of the sampler and the delay histogram (two timers, both overdue after a block) runs
    // first, since the sampler counts its own lateness too (at least 600 - 250 ms). Before it
    // did, a block went unseen when the sampler ran first (the clean-clone CI of 090f260 met
    // it once on PostgreSQL).
    for (let round = 0; round < 3; round++) {
      const until = performance.now() + 600;
      while (performance.now() < until) {
        // busy
      }
      await sleep(5);
      const shed = await fetch(`${server.url}/api/credits/balance`);
      expect(shed.status, `round ${round}`).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      const body = (await shed.json()) as { error: { code: string; details: { reason: string } } };
      expect(body.error).toMatchObject({ code: 'overloaded', details: { reason: 'eventLoopDelay' } });
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
      // A later sample of a responsive loop lifts it.
      expect(await statusOnceResponsive(server.url)).toBe(401);
    }
  });
});
