/**
 * The contract's endpoint map is what the server serves: every documented route is in it
 * with the very schema objects the route registered (params, query, body and each success
 * answer), and nothing else is; the typed client's calls reach those routes.
 */
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Endpoint, endpoints } from '../../src/contracts/endpoints.js';
import { dialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

interface RouteSchema {
  hide?: boolean;
  params?: unknown;
  querystring?: unknown;
  body?: unknown;
  response?: Record<string, unknown>;
}

/** A response entry is the schema itself, or `{content: {type: {schema}}}` for an answer that is not JSON. */
function responseSchema(entry: unknown): unknown {
  const content = (entry as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
  if (content) return Object.values(content)[0]?.schema;
  return entry;
}

describe('the endpoint map', () => {
  let s: TestServer;
  const routes = new Map<string, RouteSchema>();

  beforeAll(async () => {
    const onRoute = (r: RouteOptions) => {
      const schema = r.schema as RouteSchema | undefined;
      if (!schema || schema.hide) return;
      for (const method of [r.method].flat()) if (method !== 'HEAD') routes.set(`${method} ${r.url}`, schema);
    };
    s = await startTestServer('sqlite', {}, undefined, false, { onRoute });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('lists every route the server documents, and only those', () => {
    expect(routes.size).toBeGreaterThan(40);
    expect(Object.keys(endpoints).sort()).toEqual([...routes.keys()].sort());
  });

  it('holds the very schemas each route validates with and answers by', () => {
    const wrong: string[] = [];
    for (const [key, route] of routes) {
      const ep = (endpoints as Record<string, Endpoint>)[key];
      if (!ep) continue;
      if (route.params !== ep.params) wrong.push(`${key}: params`);
      if (route.querystring !== ep.query) wrong.push(`${key}: query`);
      if (route.body !== ep.body) wrong.push(`${key}: body`);
      const success = Object.entries(route.response ?? {}).filter(([status]) => status.startsWith('2'));
      expect(Object.keys(ep.responses).sort(), key).toEqual(success.map(([status]) => status).sort());
      for (const [status, entry] of success) {
        if (responseSchema(entry) !== ep.responses[Number(status)]) wrong.push(`${key}: ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe.each(dialects)('the typed test client (%s)', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('fills in path parameters and the query, and reads typed answers', async () => {
    const { api, user } = await s.register();
    await s.grant(user.id, 10);
    const sent = await api.call('POST /api/messages', {
      body: { to: '+15551234567', body: 'Hello' },
      headers: { 'idempotency-key': 'typed-1' },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.credits.charged).toBe(0.1);

    const usage = await api.call('GET /api/credits/transactions', { query: { type: 'usage', limit: 5 } });
    expect(usage.status).toBe(200);
    expect(usage.body.items.map((t) => t.type)).toEqual(['usage']);

    const balance = await api.call('GET /api/credits/balance');
    expect(balance.body.available).toBe(9.9);

    const end = await api.call('POST /api/vapi/calls/:id/end', { params: { id: 'no such call' } });
    expect(end.status).toBe(404);
    expect(end.error?.code).toBe('not_found');
  });

  it('refuses a call without the path parameters it needs', () => {
    // @ts-expect-error the id is required by the type too
    expect(() => s.api.call('POST /api/credits/alerts/:id/read')).toThrow(/parameter id is missing/);
  });
});
