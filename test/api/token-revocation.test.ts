/**
 * Built-in tokens are revocable (API.md, "Identity from the platform"): signing out, a
 * password change and a role change end every token issued to that user before, on every
 * instance; the cached-token fast path does not bring an ended token back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type TestServer, startTestServer } from '../support/server.js';

const NEW_PASSWORD = 'quartz-Meadow-falcon-58';

describe.each(await activeDialects())('revoking built-in tokens on %s', (dialect) => {
  let s: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    // Production's password policy: a weak new password below is refused.
    s = await startTestServer(dialect, { PASSWORD_MIN_SCORE: '3' });
    second = await startTestServer(dialect, { PASSWORD_MIN_SCORE: '3' }, s);
  });
  afterAll(async () => {
    await second?.stop();
    await s?.stop();
  });

  const login = async (email: string, password = TEST_PASSWORD) => {
    const r = await s.api.post('/api/auth/login', { email, password });
    expect(r.status).toBe(200);
    return r.body.token as string;
  };

  it('POST /api/auth/logout ends every token issued before it, the one it was sent with included', async () => {
    const u = await s.register();
    const other = await login(u.user.email);
    for (const t of [u.token, other]) expect((await s.api.withToken(t).get('/api/credits/balance')).status).toBe(200); // cached as valid
    const out = await s.api.withToken(other).post('/api/auth/logout');
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ status: 'signed_out' });
    for (const t of [u.token, other]) {
      const r = await s.api.withToken(t).get('/api/credits/balance');
      expect(r.status).toBe(401);
      expect(r.error?.code).toBe('unauthorized');
    }
    // Signing in again works, and that token is not ended by the earlier sign-out.
    const fresh = await login(u.user.email);
    expect((await s.api.withToken(fresh).get('/api/auth/me')).status).toBe(200);
    expect((await s.api.post('/api/auth/logout')).status).toBe(401);
  });

  it('POST /api/auth/password checks the current password, applies the policy, ends earlier tokens and answers a new one', async () => {
    const u = await s.register();
    const wrong = await u.api.post('/api/auth/password', { currentPassword: 'not-my-password', newPassword: NEW_PASSWORD });
    expect(wrong.status).toBe(403);
    expect(wrong.error?.code).toBe('forbidden');
    const weak = await u.api.post('/api/auth/password', { currentPassword: TEST_PASSWORD, newPassword: 'password1' });
    expect(weak.status).toBe(400);
    expect(JSON.stringify(weak.error?.details)).toContain('newPassword');
    expect((await u.api.post('/api/auth/password', { currentPassword: TEST_PASSWORD })).status).toBe(400);
    // Nothing changed so far.
    expect((await u.api.get('/api/auth/me')).status).toBe(200);

    const ok = await u.api.post('/api/auth/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(u.user.id);
    expect((await u.api.get('/api/auth/me')).status).toBe(401);
    expect((await s.api.withToken(ok.body.token).get('/api/auth/me')).status).toBe(200);
    expect((await s.api.post('/api/auth/login', { email: u.user.email, password: TEST_PASSWORD })).status).toBe(401);
    await login(u.user.email, NEW_PASSWORD);
  });

  it('wrong current passwords count as failed sign-ins (429 after the limit)', async () => {
    const u = await s.register();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await u.api.post('/api/auth/password', { currentPassword: `wrong-${i}`, newPassword: NEW_PASSWORD })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(403));
    expect(statuses[10]).toBe(429);
  });

  it('a role change ends the tokens issued under the old role: a demoted admin is 401, not an admin until expiry', async () => {
    const boss = await s.userWithRole('super_admin');
    const admin = await s.userWithRole('admin');
    expect((await admin.api.get('/api/admin/users')).status).toBe(200); // the token is cached as valid now
    expect((await second.api.withToken(admin.token).get('/api/admin/users')).status).toBe(200);
    expect((await boss.api.patch(`/api/admin/users/${admin.user.id}`, { role: 'user' })).status).toBe(200);
    expect((await admin.api.get('/api/admin/users')).status).toBe(401);
    expect((await admin.api.get('/api/credits/balance')).status).toBe(401);
    const again = await s.api.post('/api/auth/login', { email: admin.user.email, password: TEST_PASSWORD });
    expect(again.body.user.role).toBe('user');
    expect((await s.api.withToken(again.body.token).get('/api/admin/users')).status).toBe(403);
  });

  it('a sign-out on one instance ends the token on the other', async () => {
    const u = await s.register();
    // The other instance sees the token first (its user cached there from now on).
    const warmed = Date.now();
    expect((await second.api.withToken(u.token).get('/api/credits/balance')).status).toBe(200);
    expect((await u.api.post('/api/auth/logout')).status).toBe(200);
    let refusedAt = 0;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if ((await second.api.withToken(u.token).get('/api/credits/balance')).status === 401) {
        refusedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(refusedAt).toBeGreaterThan(0);
    if (dialect === 'postgres') {
      // Told through NOTIFY, well before the instance's 2 s cache of the user would have run out.
      expect(refusedAt - warmed).toBeLessThan(1500);
    }
    // And a token issued on the first instance after the sign-out works on the second at once.
    const fresh = await login(u.user.email);
    expect((await second.api.withToken(fresh).get('/api/credits/balance')).status).toBe(200);
  });
});
