/**
 * The first super admin from the one-time setup link: a token made at start while no
 * super admin exists, kept only as a hash, good once; a wrong or used token is 401,
 * and once a super admin exists every attempt is 409. Two attempts at once, also on
 * two instances of one database, make exactly one super admin.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSetupToken } from '../../src/core/accounts/create-setup-token.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const account = (email: string) => ({ email, name: 'Grace Admin', password: 'first-admin-pass' });

describe.each(await activeDialects())('first super admin through /api/setup on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const superAdmins = async () =>
    (await s.running.core.database.db.selectFrom('users').select('email').where('role', '=', 'super_admin').execute()).map((u) => u.email);

  it('makes a one-time token at start, keeps only its hash, and creates the super admin with it once', async () => {
    const token = s.running.setupToken;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await s.running.core.database.db.selectFrom('setup_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(
      createHash('sha256')
        .update(token as string)
        .digest('hex'),
    );
    expect(JSON.stringify(rows)).not.toContain(token as string);
    expect((await s.api.get('/api/setup')).body).toEqual({ required: true, builtin: true });

    const wrong = await s.api.post('/api/setup', { ...account('grace@example.com'), token: `${token}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.error?.code).toBe('unauthorized');
    const invalid = await s.api.post('/api/setup', { token, email: 'grace@example.com', name: 'Grace', password: 'short' });
    expect(invalid.status).toBe(400);
    expect(invalid.error?.message).toBe('Password must be at least 8 characters.');
    expect(await superAdmins()).toEqual([]);

    const ok = await s.api.post('/api/setup', { ...account('Grace@Example.com'), token });
    expect(ok.status).toBe(201);
    expect(ok.body.user).toMatchObject({ email: 'grace@example.com', name: 'Grace Admin', role: 'super_admin' });
    const admin = s.api.withToken(ok.body.token);
    expect((await admin.get('/api/auth/me')).body.user.role).toBe('super_admin');
    expect((await admin.get('/api/admin/users')).status).toBe(200);
    const audit = (await admin.get('/api/admin/audit')).body.items;
    expect(audit.find((a) => a.action === 'setup.super_admin')).toMatchObject({ targetId: ok.body.user.id });

    // Used: once a super admin exists every attempt is a conflict, with this token or another.
    const again = await s.api.post('/api/setup', { ...account('mallory@example.com'), token });
    expect(again.status).toBe(409);
    expect(again.error?.code).toBe('conflict');
    expect((await s.api.get('/api/setup')).body).toEqual({ required: false, builtin: true });
    expect(await createSetupToken(s.running.core)).toBeNull();

    // Single use: even with no super admin left, the used token does not work again.
    await s.running.core.database.db.updateTable('users').set({ role: 'user' }).where('role', '=', 'super_admin').execute();
    const reused = await s.api.post('/api/setup', { ...account('mallory@example.com'), token });
    expect(reused.status).toBe(401);
    expect(await superAdmins()).toEqual([]);

    // An expired token does not work either.
    const expired = await createSetupToken(s.running.core, -1);
    expect((await s.api.post('/api/setup', { ...account('mallory@example.com'), token: expired })).status).toBe(401);

    // A fresh one does; a later start makes none, as a super admin exists again.
    const fresh = await createSetupToken(s.running.core);
    expect((await s.api.post('/api/setup', { ...account('second@example.com'), token: fresh })).status).toBe(201);
    const restarted = await startTestServer(dialect, {}, s);
    try {
      expect(restarted.running.setupToken).toBeNull();
    } finally {
      await restarted.stop();
    }
  });

  it('makes exactly one super admin from attempts at once, on one instance and on two', async () => {
    const a = await startTestServer(dialect);
    const b = await startTestServer(dialect, {}, a);
    try {
      const tokenA = a.running.setupToken as string;
      const tokenB = b.running.setupToken as string;
      expect(tokenA).not.toBe(tokenB);
      const attempts = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => a.api.post('/api/setup', { ...account(`a${i}@example.com`), token: tokenA })),
        ...Array.from({ length: 4 }, (_, i) => b.api.post('/api/setup', { ...account(`b${i}@example.com`), token: tokenB })),
      ]);
      const statuses = attempts.map((r) => r.status).sort();
      expect(statuses.filter((st) => st === 201)).toHaveLength(1);
      // The others: the admin exists (409), or their token was already used (401, same token).
      expect(statuses.every((st) => st === 201 || st === 409 || st === 401)).toBe(true);
      const admins = await a.running.core.database.db.selectFrom('users').select('email').where('role', '=', 'super_admin').execute();
      expect(admins).toHaveLength(1);
    } finally {
      await b.stop();
      await a.stop();
    }
  });

  it('creates no token when SUPER_ADMIN_EMAIL and SUPER_ADMIN_PASSWORD made one', async () => {
    const c = await startTestServer(dialect, { SUPER_ADMIN_EMAIL: 'ops@example.com', SUPER_ADMIN_PASSWORD: 'ops-password-1' });
    try {
      expect(c.running.setupToken).toBeNull();
      expect((await c.api.get('/api/setup')).body).toEqual({ required: false, builtin: true });
      const login = await c.api.post('/api/auth/login', { email: 'ops@example.com', password: 'ops-password-1' });
      expect(login.body.user.role).toBe('super_admin');
    } finally {
      await c.stop();
    }
  });
});
