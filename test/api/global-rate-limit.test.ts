/**
 * RATE_LIMIT_PER_MINUTE, the global per-IP limit: the health probes, the metrics scrape and
 * the API docs are outside it (a load balancer's probes from the same address would use up
 * a client's budget and a healthy process would answer 429), the API is not, and the auth
 * routes keep their own limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const LIMIT = 3;

describe.each(await activeDialects())('the global rate limit on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('leaves the health probes, the metrics and the API docs outside the limit', async () => {
    // `/health/live?probe` and HEAD go through Fastify's route, as every probe does with the limit set.
    const paths = ['/health/live', '/health/live?probe', '/health/ready', '/metrics', '/openapi.json', '/docs/json', '/docs/'];
    for (let i = 0; i < LIMIT + 2; i++) {
      for (const path of paths) {
        const r = await fetch(`${s.url}${path}`);
        await r.arrayBuffer();
        expect(r.status, `${path} #${i + 1}`).toBe(200);
        expect(r.headers.get('x-ratelimit-limit'), path).toBeNull();
      }
      const head = await fetch(`${s.url}/health/live`, { method: 'HEAD' });
      expect(head.status).toBe(200);
    }
    // The API shares one budget per address, the probes' requests not counted in it.
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await s.api.request('GET', '/api/config')).status);
    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429]);
    const refused = await s.api.request('GET', '/api/config');
    expect(refused.error?.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // And still the probes answer.
    expect((await fetch(`${s.url}/health/ready`)).status).toBe(200);
  });
});
