/**
 * The request-duration histogram's label sets and counts: one observation per answered
 * request, labelled with the route's method, its path pattern and the status; requests no
 * route answers under `unmatched`; an auto-exposed HEAD route under its own method.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

/** The `_count` of each label set of http_request_duration_seconds, keyed by its labels as printed. */
function counts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^http_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

describe.each(await activeDialects())('request duration metrics on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('counts each request once, by method, route pattern and status', async () => {
    const before = counts((await s.api.get('/metrics')).text);
    for (let i = 0; i < 3; i++) expect((await s.api.get('/health/live')).status).toBe(200);
    expect((await s.api.request('HEAD', '/health/live')).status).toBe(200);
    // Under /api/: elsewhere a built dashboard answers unknown paths with its page (the SPA fallback).
    expect((await s.api.get('/api/no/such/route')).status).toBe(404);
    expect((await s.api.get('/api/credits/balance')).status).toBe(401);
    const after = counts((await s.api.get('/metrics')).text);
    const delta = (labels: string) => (after[labels] ?? 0) - (before[labels] ?? 0);
    expect(delta('method="GET",route="/health/live",status="200"')).toBe(3);
    expect(delta('method="HEAD",route="/health/live",status="200"')).toBe(1);
    expect(delta('method="GET",route="unmatched",status="404"')).toBe(1);
    expect(delta('method="GET",route="/api/credits/balance",status="401"')).toBe(1);
    // The first scrape was observed after it was answered: once, under its own route.
    expect(delta('method="GET",route="/metrics",status="200"')).toBe(1);
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(total(after) - total(before)).toBe(7);
  });
});
