/**
 * `?from=&to=` in the wrong order is 400 on every route that takes a time range, the same
 * 400 (`from` must be before `to`), not an empty answer: the
 * history and its CSV, the usage report and its CSV (an admin's too), the admin payments and
 * their CSV, the analytics and the liability. A date-only `to` includes its day, so a `from`
 * the day after it is at its end; ends at the same moment are an empty range, refused too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';

const USER_ROUTES = ['/api/credits/transactions', '/api/credits/transactions.csv', '/api/credits/usage', '/api/credits/usage.csv'];
const ADMIN_ROUTES = [
  '/api/admin/payments',
  '/api/admin/payments.csv',
  '/api/admin/analytics',
  '/api/admin/liability',
  '/api/admin/liability.csv',
];

describe.each(await activeDialects())('a time range in the wrong order on %s', (dialect) => {
  let s: TestServer;
  let user: Client;
  let admin: Client;
  let routes: [Client, string][];
  beforeAll(async () => {
    s = await startTestServer(dialect);
    const u = await s.register();
    await s.grant(u.user.id, 10);
    user = u.api;
    admin = (await s.userWithRole('admin')).api;
    routes = [
      ...USER_ROUTES.map((r): [Client, string] => [user, r]),
      ...ADMIN_ROUTES.map((r): [Client, string] => [admin, r]),
      [admin, `/api/admin/users/${u.user.id}/usage`],
    ];
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('is 400 on every route that takes from and to, as the usage report answers', async () => {
    const reversed = [
      'from=2026-03-05&to=2026-03-01',
      'from=2026-03-01T12:00:00Z&to=2026-03-01T11:59:59Z',
      'from=2026-03-03T00:00:00Z&to=2026-03-01',
    ];
    for (const [client, route] of routes) {
      for (const q of reversed) {
        const r = await client.get(`${route}?${q}`);
        expect(r.status, `${route}?${q}`).toBe(400);
        expect(r.error, `${route}?${q}`).toEqual({
          code: 'validation_error',
          message: '`from` must be before `to`.',
          details: { fields: [{ path: 'query.from', field: 'from', message: 'must be before to' }] },
        });
      }
      // One day, a second, and one end alone are ranges.
      const ranges = ['from=2026-03-01&to=2026-03-01', 'from=2026-03-01T12:00:00Z&to=2026-03-01T12:00:01Z', 'from=2026-03-01'];
      for (const q of ranges) {
        expect((await client.get(`${route}?${q}`)).status, `${route}?${q}`).toBe(200);
      }
    }
  });
});
