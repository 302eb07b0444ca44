/**
 * Someone can always grant roles: the last super admin cannot be demoted, by their own
 * hand or another's (409), also when two demotions race on two instances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('the last super admin on %s', (dialect) => {
  let s: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    second = await startTestServer(dialect, {}, s);
  });
  afterAll(async () => {
    await second?.stop();
    await s?.stop();
  });

  const supers = async () =>
    (await s.running.core.database.db.selectFrom('users').select('id').where('role', '=', 'super_admin').execute()).map((r) => r.id);
  const demoteAllBut = async (keep: string) => {
    await s.running.core.database.db
      .updateTable('users')
      .set({ role: 'user' })
      .where('role', '=', 'super_admin')
      .where('id', '!=', keep)
      .execute();
  };

  it('refuses to demote the last super admin (409), by themselves or anyone; allows it once another exists', async () => {
    const a = await s.userWithRole('super_admin');
    await demoteAllBut(a.user.id);
    const self = await a.api.patch(`/api/admin/users/${a.user.id}`, { role: 'admin' });
    expect(self.status).toBe(409);
    expect(self.error?.code).toBe('conflict');
    expect(self.error?.message).toMatch(/last super admin/);
    expect(await supers()).toEqual([a.user.id]);

    // An admin may not touch a super admin at all (403), let alone the last one.
    const admin = await s.userWithRole('admin');
    expect((await admin.api.patch(`/api/admin/users/${a.user.id}`, { role: 'user' })).status).toBe(403);

    // With a second super admin, the first may step down; then the second is the last.
    let b = await s.register();
    expect((await a.api.patch(`/api/admin/users/${b.user.id}`, { role: 'super_admin' })).status).toBe(200);
    // A role change ends the user's earlier tokens: b signs in again, as a super admin now.
    expect((await b.api.get('/api/auth/me')).status).toBe(401);
    const signedIn = await s.api.post('/api/auth/login', { email: b.user.email, password: TEST_PASSWORD });
    expect(signedIn.body.user.role).toBe('super_admin');
    b = { ...b, token: signedIn.body.token, api: s.api.withToken(signedIn.body.token) };
    expect((await a.api.patch(`/api/admin/users/${a.user.id}`, { role: 'user' })).status).toBe(200);
    expect((await a.api.get('/api/auth/me')).status).toBe(401);
    expect(await supers()).toEqual([b.user.id]);
    const last = await b.api.patch(`/api/admin/users/${b.user.id}`, { role: 'user' });
    expect(last.status).toBe(409);
    expect(await supers()).toEqual([b.user.id]);
    const audit = await s.running.core.database.db
      .selectFrom('audit_log')
      .select(['actor_id', 'target_id', 'details'])
      .where('action', '=', 'user.role')
      .where('target_id', '=', a.user.id)
      .execute();
    expect(audit).toEqual([{ actor_id: a.user.id, target_id: a.user.id, details: JSON.stringify({ from: 'super_admin', to: 'user' }) }]);
  });

  it('two super admins demoting each other at once on two instances: one wins, one stays', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await s.userWithRole('super_admin');
      const b = await s.userWithRole('super_admin');
      await demoteAllBut(a.user.id);
      await s.running.core.database.db.updateTable('users').set({ role: 'super_admin' }).where('id', '=', b.user.id).execute();
      const [x, y] = await Promise.all([
        a.api.patch(`/api/admin/users/${b.user.id}`, { role: 'user' }),
        second.api.withToken(b.token).patch(`/api/admin/users/${a.user.id}`, { role: 'user' }),
      ]);
      // One wins; the other is refused: 409 when it got past the role check first, 403 when
      // the winner's demotion had already committed by the time its role was read, 401 when
      // its token had already been ended by that demotion.
      const statuses = [x.status, y.status].sort();
      expect(statuses).toContain(200);
      expect(statuses.filter((c) => c !== 200).every((c) => [401, 403, 409].includes(c))).toBe(true);
      expect(statuses.filter((c) => c === 200)).toHaveLength(1);
      expect(await supers()).toHaveLength(1);
    }
  });
});
