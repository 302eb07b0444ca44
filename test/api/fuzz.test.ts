/**
 * Thousands of generated bad requests against every route of the OpenAPI document, as
 * anonymous, user and admin: no answer is 5xx, every 4xx has the contract's error shape,
 * and no refused request changes a balance.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';

interface Route {
  method: string;
  path: string;
}

/** Generated requests per database: 5,000 each, 10,000 over the two (issue 7 asks for 10,000). */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 5000);

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, -0.0001, 1e21, 0.1234, 1_000_000_000.5),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '=cmd|calc', '../../etc/passwd', "' or 1=1 --", '<script>', '\u0000', 'NaN', 'Infinity'),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxKeys: 4 }),
);

const fieldNames = [
  'email', 'password', 'name', 'amount', 'reason', 'role', 'packageId', 'operation', 'unit', 'quantity',
  'to', 'body', 'phoneNumber', 'maxDurationSeconds', 'durationSeconds', 'userId', 'idempotencyKey', 'credits',
  'priceCents', 'bonusCredits', 'active', 'popular', 'lowBalanceThreshold', 'autoRecharge', 'amountCents', 'balance',
  'input', 'description', 'currency',
];

const body = fc.oneof(
  junk,
  fc.dictionary(fc.constantFrom(...fieldNames), junk, { maxKeys: 6 }),
);

const paramValue = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('0', '-1', 'null', 'undefined', '%00', 'a'.repeat(300), '..%2F..', '00000000-0000-0000-0000-000000000000'),
);

const query = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'from', 'to', 'type', 'granularity', 'status', 'search'),
  fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('0', '201', '-5', '2024-13-45', 'abc.def', '9999-99-99T99:99', 'hour', 'day')),
  { maxKeys: 4 },
);

function routesOf(doc: { paths: Record<string, Record<string, unknown>> }): Route[] {
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) out.push({ method: method.toUpperCase(), path });
    }
  }
  return out;
}

async function balances(s: TestServer) {
  const rows = await s.running.core.database.db
    .selectFrom('user_credits')
    .select(['user_id', 'balance_mc', 'reserved_mc'])
    .orderBy('user_id')
    .execute();
  return rows;
}

describe.each(await activeDialects())('fuzzing every route on %s', (dialect) => {
  let s: TestServer;
  let clients: Client[];
  let routes: Route[];
  beforeAll(async () => {
    s = await startTestServer(dialect, { SERVICE_API_KEY: 'svc-key-0123456789', VAPI_WEBHOOK_SECRET: 'vapi-secret' });
    const user = await s.register();
    const admin = await s.userWithRole('admin');
    const superAdmin = await s.userWithRole('super_admin');
    await s.grant(user.user.id, 5);
    await s.grant(admin.user.id, 5);
    clients = [s.api, user.api, admin.api, superAdmin.api];
    const doc = (await s.api.get('/openapi.json')).body;
    routes = routesOf(doc).filter((r) => r.path !== '/api/credits/stream');
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('answers every generated bad request with a 4xx in the error shape (or a 2xx), never 5xx, moving nothing', { timeout: 240_000 }, async () => {
    expect(routes.length).toBeGreaterThan(5);
    const before = await balances(s);
    let sent = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: routes.length - 1 }),
        fc.nat({ max: 3 }),
        body,
        query,
        fc.array(paramValue, { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        async (ri, ci, b, q, params, rawJunk) => {
          const route = routes[ri] as Route;
          const client = clients[ci] as Client;
          let i = 0;
          const path = route.path.replace(/\{[^}]+\}/g, () => params[i++ % params.length] as string);
          const qs = new URLSearchParams(q as Record<string, string>).toString();
          const url = qs ? `${path}?${qs}` : path;
          // Money-moving routes are sent only requests that cannot be valid, so no balance may change.
          const res =
            route.method === 'GET'
              ? await client.get(url)
              : rawJunk
                ? await client.request(route.method, url, { raw: '{"broken": ', headers: { 'content-type': 'application/json' } })
                : await client.request(route.method, url, { body: b, headers: { 'idempotency-key': 'k'.repeat(300) } });
          sent++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status, `${route.method} ${url} -> ${res.status} ${res.text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.body?.error?.code, `${route.method} ${url}: ${res.text.slice(0, 200)}`).toMatch(/^[a-z_]+$/);
            expect(typeof res.body.error.message).toBe('string');
          }
        },
      ),
      { numRuns: FUZZ_RUNS, interruptAfterTimeLimit: 200_000 },
    );
    // Every generated request must have been sent (the time limit is a guard, not a target).
    expect(sent).toBe(FUZZ_RUNS);
    expect(await balances(s)).toEqual(before);
    const report = await verifyLedger(s.running.core.database.db);
    expect(report.violations).toEqual([]);
  });
});
