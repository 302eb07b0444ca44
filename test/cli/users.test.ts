/**
 * `credits users list | set-role | reset-password`: an operator can always recover from
 * the command line, on both databases; the last super admin keeps the role here too, and
 * passwords follow the sign-up policy.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/core/accounts/create-user.js';
import { verifyPassword } from '../../src/core/accounts/password.js';
import { createCore } from '../../src/core/index.js';
import { type TestDb, activeDialects, createTestDb, testLedgerKey } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);
const cli = nodeArgs('src/cli/main.ts');

function envFor(db: TestDb): Record<string, string> {
  const base = { ...process.env, LOG_LEVEL: 'warn', JWT_SECRET: 'cli-test-secret-cli-test-secret-0123456789' } as Record<string, string>;
  if (db.dialect === 'postgres') {
    return {
      ...base,
      DATABASE_URL: `${db.url}?options=${encodeURIComponent(`-c search_path=${db.pgSchema}`)}`,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'credits-cli-pg-')),
    };
  }
  return { ...base, DATABASE_URL: '', DATA_DIR: dirname(db.sqlitePath as string) };
}

async function credits(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [...cli, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe.each(await activeDialects())('credits users on %s', (dialect) => {
  let db: TestDb;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDb(dialect);
    const core = createCore(db.database, { ledgerKey: testLedgerKey });
    await createUser(core.writer, { email: 'root@example.com', name: 'Root', password: TEST_PASSWORD, role: 'super_admin' });
    await createUser(core.writer, { email: 'ops@example.com', name: 'Ops', password: TEST_PASSWORD, role: 'user' });
    await core.writer.close();
    env = envFor(db);
  });
  afterAll(async () => {
    await db?.dispose();
    if (dialect === 'postgres' && env) rmSync(env.DATA_DIR as string, { recursive: true, force: true });
  });

  const role = async (email: string) =>
    (await db.database.db.selectFrom('users').select('role').where('email', '=', email).executeTakeFirstOrThrow()).role;
  const hash = async (email: string) =>
    (await db.database.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow()).password_hash;

  it('lists users, and by role', async () => {
    const all = await credits(env, 'users', 'list');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^ROLE\s+EMAIL/m);
    expect(all.stdout).toMatch(/super_admin\s+root@example\.com\s+Root/);
    expect(all.stdout).toMatch(/user\s+ops@example\.com\s+Ops/);
    const supers = await credits(env, 'users', 'list', '--role', 'super_admin');
    expect(supers.code, supers.stderr).toBe(0);
    expect(supers.stdout).toContain('root@example.com');
    expect(supers.stdout).not.toContain('ops@example.com');
    expect(supers.stdout).toMatch(/1 user\(s\)/);
  }, 60_000);

  it('sets roles, but never takes the role from the last super admin', async () => {
    const last = await credits(env, 'users', 'set-role', '--email', 'root@example.com', '--role', 'user');
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/last super admin/);
    expect(await role('root@example.com')).toBe('super_admin');

    const promote = await credits(env, 'users', 'set-role', '--email', 'OPS@example.com', '--role', 'super_admin');
    expect(promote.code).toBe(0);
    expect(promote.stdout).toContain('ops@example.com: user -> super_admin');
    expect((await credits(env, 'users', 'set-role', '--email', 'root@example.com', '--role', 'admin')).code).toBe(0);
    expect(await role('root@example.com')).toBe('admin');
    const audit = await db.database.db
      .selectFrom('audit_log')
      .select(['actor_id', 'details'])
      .where('action', '=', 'user.role')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.actor_id, JSON.parse(a.details as string)])).toEqual([
      [null, { from: 'user', to: 'super_admin' }],
      [null, { from: 'super_admin', to: 'admin' }],
    ]);
    expect((await credits(env, 'users', 'set-role', '--email', 'nobody@example.com', '--role', 'admin')).code).toBe(1);
    expect((await credits(env, 'users', 'set-role', '--email', 'ops@example.com', '--role', 'owner')).code).not.toBe(0);
  }, 120_000);

  it('resets a password under the policy, or to a generated one', async () => {
    const before = await hash('ops@example.com');
    // Production's policy (outside production the contract's 8 characters alone hold by default).
    const weak = await credits(
      { ...env, PASSWORD_MIN_SCORE: '3' },
      'users',
      'reset-password',
      '--email',
      'ops@example.com',
      '--password',
      'password',
    );
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/too easy to guess/);
    expect(await hash('ops@example.com')).toBe(before);

    const chosen = await credits(env, 'users', 'reset-password', '--email', 'ops@example.com', '--password', 'copper-Meadow-lantern-61');
    expect(chosen.code).toBe(0);
    expect(await verifyPassword('copper-Meadow-lantern-61', await hash('ops@example.com'))).toBe(true);

    const generated = await credits(env, 'users', 'reset-password', '--email', 'ops@example.com');
    expect(generated.code).toBe(0);
    const password = /changed to: (\S+)/.exec(generated.stdout)?.[1] as string;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(await verifyPassword(password, await hash('ops@example.com'))).toBe(true);
    expect(
      (await credits(env, 'users', 'reset-password', '--email', 'ghost@example.com', '--password', 'copper-Meadow-lantern-61')).code,
    ).toBe(1);
  }, 120_000);
});

describe('credits users without a database', () => {
  it('says so and exits 1 without creating one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credits-cli-none-'));
    try {
      const r = await credits({ ...process.env, DATA_DIR: dir, DATABASE_URL: '' } as Record<string, string>, 'users', 'list');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no database at/);
      expect(existsSync(join(dir, 'credits.db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
