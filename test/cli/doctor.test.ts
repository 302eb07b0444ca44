/**
 * `credits doctor`: one test per finding (each shows the finding appears for the
 * configuration that causes it, with how to fix it, and goes away when it is fixed), then
 * the command itself (exit 1 on a blocking finding) and a production start that refuses to
 * start on one.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { checkDatabase, checkEnvironment, checkFiles, estimatedBits, type Finding, runDoctor, type Severity } from '../../src/doctor.js';
import { activeDialects, createTestDb, TEST_LEDGER_KEY, TEST_PG_URL, testLedgerKey } from '../support/db.js';
import { until } from '../support/poll.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'credits-doctor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const STRONG = 'Qm9hcmQtZ2FtZXMtYXJlLWZ1bi10by1wbGF5LWFuZC1oYXJkLXRvLWd1ZXNz-8f3k';
/** A production environment with nothing to complain about (but what each test changes). */
const LEDGER = 'TGVkZ2VyLWtleS1rZXB0LWFwYXJ0LWZyb20tdGhlLWRhdGFiYXNl-7Qx2';
const base = (): NodeJS.ProcessEnv => ({ NODE_ENV: 'production', JWT_SECRET: STRONG, LEDGER_KEY: LEDGER, DATA_DIR: join(root, 'data') });

function find(findings: Finding[], check: string, severity?: Severity): Finding[] {
  return findings.filter((f) => f.check === check && (!severity || f.severity === severity));
}

/** The finding is there, with a fix, for `bad`; and not (as that severity) for `good`. */
function expectFinding(check: string, severity: Severity, bad: NodeJS.ProcessEnv, good: NodeJS.ProcessEnv, message: RegExp) {
  const hit = find(checkEnvironment(bad), check, severity);
  expect(hit, JSON.stringify(checkEnvironment(bad))).toHaveLength(1);
  expect(hit[0]?.message).toMatch(message);
  expect(hit[0]?.fix).toBeTruthy();
  expect(find(checkEnvironment(good), check, severity)).toEqual([]);
}

describe('doctor: the environment', () => {
  it('node_env: not production is a warning', () => {
    expectFinding('node_env', 'warning', { ...base(), NODE_ENV: 'development' }, base(), /development mode/);
  });

  it('ledger_key: missing, short or guessable is blocking', () => {
    expectFinding('ledger_key', 'blocking', { ...base(), LEDGER_KEY: '' }, base(), /not set/);
    expectFinding('ledger_key', 'blocking', { ...base(), LEDGER_KEY: 'short-key' }, base(), /9 characters/);
    expectFinding('ledger_key', 'blocking', { ...base(), LEDGER_KEY: 'abababababababababababababababababababab' }, base(), /guessable/);
  });

  it('jwt_secret: missing, short or guessable is blocking', () => {
    expectFinding('jwt_secret', 'blocking', { ...base(), JWT_SECRET: '' }, base(), /not set/);
    expectFinding('jwt_secret', 'blocking', { ...base(), JWT_SECRET: 'short-secret' }, base(), /12 characters/);
    expectFinding('jwt_secret', 'blocking', { ...base(), JWT_SECRET: 'abababababababababababababababababababab' }, base(), /guessable/);
    expect(estimatedBits(STRONG)).toBeGreaterThan(128);
  });

  it('service_api_key: a weak one is blocking', () => {
    expectFinding(
      'service_api_key',
      'blocking',
      { ...base(), SERVICE_API_KEY: 'key123' },
      { ...base(), SERVICE_API_KEY: STRONG },
      /charge any account/,
    );
  });

  it('super_admin_password: short or common is a warning', () => {
    expectFinding(
      'super_admin_password',
      'warning',
      { ...base(), SUPER_ADMIN_PASSWORD: 'password123' },
      { ...base(), SUPER_ADMIN_PASSWORD: 'a long and private phrase 9' },
      /short or common/,
    );
  });

  it('stripe_keys: malformed keys or keys of different modes are blocking', () => {
    const stripe = { STRIPE_WEBHOOK_SECRET: 'whsec_abc' };
    const live = { ...base(), ...stripe, STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' };
    expectFinding(
      'stripe_keys',
      'blocking',
      { ...live, STRIPE_PUBLISHABLE_KEY: 'pk_test_abc' },
      live,
      /secret key is live, the publishable key test/,
    );
    expectFinding(
      'stripe_keys',
      'blocking',
      { ...live, STRIPE_SECRET_KEY: 'pk_live_oops' },
      live,
      /does not look like a Stripe secret key/,
    );
    expectFinding(
      'stripe_keys',
      'blocking',
      { ...live, STRIPE_PUBLISHABLE_KEY: 'sk_live_oops' },
      live,
      /does not look like a Stripe publishable key/,
    );
    expect(find(checkEnvironment(live), 'stripe_keys')).toEqual([
      { check: 'stripe_keys', severity: 'ok', message: 'Stripe keys are both in live mode' },
    ]);
    // A restricted key counts as a secret key.
    expect(find(checkEnvironment({ ...live, STRIPE_SECRET_KEY: 'rk_live_abc' }), 'stripe_keys', 'blocking')).toEqual([]);
  });

  it('stripe_keys: a missing publishable key is blocking; a lone publishable key, or test keys in production are warnings', () => {
    const live = { ...base(), STRIPE_WEBHOOK_SECRET: 'whsec_abc', STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' };
    expectFinding('stripe_keys', 'blocking', { ...live, STRIPE_PUBLISHABLE_KEY: '' }, live, /cannot show the card form/);
    expectFinding('stripe_keys', 'warning', { ...base(), STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' }, live, /without STRIPE_SECRET_KEY/);
    expectFinding(
      'stripe_keys',
      'warning',
      { ...live, STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_PUBLISHABLE_KEY: 'pk_test_abc' },
      live,
      /test mode: no real money/,
    );
  });

  it('stripe_webhook_secret: missing (or alone) is blocking, a malformed one a warning', () => {
    const live = { ...base(), STRIPE_WEBHOOK_SECRET: 'whsec_abc', STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' };
    expectFinding('stripe_webhook_secret', 'blocking', { ...live, STRIPE_WEBHOOK_SECRET: '' }, live, /never credit anyone/);
    expectFinding(
      'stripe_webhook_secret',
      'blocking',
      { ...base(), STRIPE_WEBHOOK_SECRET: 'whsec_abc' },
      live,
      /without STRIPE_SECRET_KEY/,
    );
    expectFinding('stripe_webhook_secret', 'warning', { ...live, STRIPE_WEBHOOK_SECRET: 'abc' }, live, /does not start with whsec_/);
  });

  it('payments: production without Stripe, or with simulated payments, is a warning', () => {
    const live = { ...base(), STRIPE_WEBHOOK_SECRET: 'whsec_abc', STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' };
    expectFinding('payments', 'warning', base(), live, /503 payments_unavailable/);
    expectFinding('payments', 'warning', { ...base(), ALLOW_SIMULATED_PAYMENTS: 'true' }, live, /succeeds without money/);
    // Before the switch to production too: doctor reads the environment as production would.
    const dev = { ...base(), NODE_ENV: 'development' };
    expect(find(checkEnvironment(dev), 'payments', 'warning')).toHaveLength(1);
    expect(find(checkEnvironment({ ...dev, STRIPE_SECRET_KEY: 'sk_test_abc' }), 'stripe_keys', 'warning').map((f) => f.message)).toContain(
      'Stripe is in test mode: no real money is taken',
    );
  });

  it('vapi_webhook_secret: a VAPI key without the webhook secret, or a weak secret, is blocking', () => {
    const vapi = { ...base(), VAPI_API_KEY: 'vapi-key', VAPI_WEBHOOK_SECRET: STRONG };
    expectFinding('vapi_webhook_secret', 'blocking', { ...vapi, VAPI_WEBHOOK_SECRET: '' }, vapi, /reports are refused/);
    expectFinding('vapi_webhook_secret', 'blocking', { ...vapi, VAPI_WEBHOOK_SECRET: 'vapi' }, vapi, /4 characters/);
  });

  it('alerts_webhook_secret: an alert webhook without a secret is a warning', () => {
    const hook = { ...base(), ALERTS_WEBHOOK_URL: 'https://alerts.example.com/hook' };
    expectFinding('alerts_webhook_secret', 'warning', hook, { ...hook, ALERTS_WEBHOOK_SECRET: STRONG }, /forged/);
  });

  it('durability: SQLITE_SYNCHRONOUS below FULL, or PG_SYNCHRONOUS_COMMIT=off, is a warning', () => {
    expectFinding(
      'durability',
      'warning',
      { ...base(), SQLITE_SYNCHRONOUS: 'NORMAL' },
      { ...base(), SQLITE_SYNCHRONOUS: 'FULL' },
      /power loss/,
    );
    const pgEnv = { ...base(), DATABASE_URL: 'postgres://db/credits' };
    expectFinding('durability', 'warning', { ...pgEnv, PG_SYNCHRONOUS_COMMIT: 'off' }, pgEnv, /PostgreSQL crash/);
  });

  it('cors: any origin is a warning', () => {
    expectFinding(
      'cors',
      'warning',
      { ...base(), CORS_ORIGIN: '*' },
      { ...base(), CORS_ORIGIN: 'https://app.example.com' },
      /any web page/,
    );
  });

  it('config: a value the configuration refuses is blocking, with the variable to correct', async () => {
    const bad = await runDoctor({ ...base(), PORT: 'eighty' }, { skipDatabase: true });
    const hit = find(bad, 'config', 'blocking');
    expect(hit).toHaveLength(1);
    expect(hit[0]?.message).toMatch(/PORT: must be a whole number/);
    expect(hit[0]?.fix).toMatch(/correct PORT/);
    expect(find(await runDoctor(base(), { skipDatabase: true }), 'config')).toEqual([]);
  });
});

describe('doctor: files', () => {
  const config = (env: NodeJS.ProcessEnv) => loadConfig({ ...base(), ...env });

  it('data_dir: one that cannot be written is blocking', () => {
    writeFileSync(join(root, 'a-file'), 'x');
    const bad = find(checkFiles(config({ DATA_DIR: join(root, 'a-file', 'data') })), 'data_dir', 'blocking');
    expect(bad).toHaveLength(1);
    expect(bad[0]?.message).toMatch(/not writable: .*not a directory/);
    const good = find(checkFiles(config({ DATA_DIR: join(root, 'fresh', 'data') })), 'data_dir');
    expect(good).toEqual([{ check: 'data_dir', severity: 'ok', message: expect.stringMatching(/writable \(it will be created\)/) }]);
    // Nothing was created by looking.
    expect(existsSync(join(root, 'fresh'))).toBe(false);
  });

  it('backups: none on SQLite, or on the same disk, is a warning; an unwritable BACKUP_DIR is blocking; on PostgreSQL it is ignored', () => {
    expect(find(checkFiles(config({})), 'backups', 'warning')[0]?.message).toMatch(/only copy of every balance/);
    expect(find(checkFiles(config({ BACKUP_DIR: join(root, 'a-file', 'b') })), 'backups', 'blocking')[0]?.message).toMatch(
      /BACKUP_DIR .* not writable/,
    );
    expect(find(checkFiles(config({ BACKUP_DIR: join(root, 'backups') })), 'backups', 'warning')[0]?.message).toMatch(/same file system/);
    expect(
      find(checkFiles(config({ BACKUP_DIR: join(root, 'backups'), DATABASE_URL: 'postgres://db/x' })), 'backups', 'warning')[0]?.message,
    ).toMatch(/ignored/);
    // /dev/shm is another file system than the temp directory here.
    if (existsSync('/dev/shm')) {
      expect(find(checkFiles(config({ BACKUP_DIR: '/dev/shm/credits-doctor-test' })), 'backups')).toEqual([
        { check: 'backups', severity: 'ok', message: expect.stringMatching(/^backups every 60 min to \/dev\/shm/) },
      ]);
    }
  });
});

describe.each(await activeDialects())('doctor: the database (%s)', (dialect) => {
  it('database: reachable is ok; a server that does not answer is blocking; a missing SQLite file a warning', async () => {
    const t = await createTestDb(dialect);
    try {
      const env = dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : { DATA_DIR: join(t.sqlitePath as string, '..') };
      const good = await checkDatabase(loadConfig({ ...base(), ...env }), { pgSchema: t.pgSchema as string });
      expect(find(good, 'database')).toEqual([{ check: 'database', severity: 'ok', message: expect.stringMatching(/answers/) }]);
      expect(find(good, 'migrations')).toEqual([
        { check: 'migrations', severity: 'ok', message: expect.stringMatching(/all \d+ migrations applied/) },
      ]);
      expect(find(good, 'clock', 'ok')).toHaveLength(1);
    } finally {
      await t.dispose();
    }
    if (dialect === 'postgres') {
      const down = await checkDatabase(loadConfig({ ...base(), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' }));
      expect(find(down, 'database', 'blocking')[0]?.message).toMatch(/does not answer|cannot be opened/);
    } else {
      const missing = await checkDatabase(loadConfig({ ...base(), DATA_DIR: join(root, 'nothing-here') }));
      expect(find(missing, 'database', 'warning')[0]?.message).toMatch(/does not exist yet/);
      expect(existsSync(join(root, 'nothing-here'))).toBe(false);
    }
  });

  it('ledger_key: another key than the one the ledger is hashed with is blocking, as a start refuses it', async () => {
    const t = await createTestDb(dialect);
    try {
      const env = dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : { DATA_DIR: join(t.sqlitePath as string, '..') };
      const check = async (key: string) =>
        find(await checkDatabase(loadConfig({ ...base(), ...env, LEDGER_KEY: key }), { pgSchema: t.pgSchema as string }), 'ledger_key');
      expect(await check(TEST_LEDGER_KEY)).toEqual([{ check: 'ledger_key', severity: 'ok', message: expect.stringMatching(/is the key/) }]);
      // Until 6 December the doctor found nothing here, and `credits serve` then exited 2.
      expect((await check(LEDGER))[0]).toMatchObject({
        severity: 'blocking',
        message: expect.stringMatching(/not the key this ledger is hashed with/),
      });
    } finally {
      await t.dispose();
    }
  });

  it('migrations: pending or newer is a warning, a mix of both is blocking', async () => {
    const t = await createTestDb(dialect);
    try {
      const env = dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : { DATA_DIR: join(t.sqlitePath as string, '..') };
      const check = async () =>
        find(await checkDatabase(loadConfig({ ...base(), ...env }), { pgSchema: t.pgSchema as string }), 'migrations');
      const db = t.database.db;
      await sql`insert into kysely_migration (name, timestamp) values ('999-newer', ${new Date().toISOString()})`.execute(db);
      expect((await check())[0]).toMatchObject({ severity: 'warning', message: expect.stringMatching(/newer release \(999-newer\)/) });
      await sql`delete from kysely_migration where name = '005-alert-deliveries'`.execute(db);
      expect((await check())[0]).toMatchObject({
        severity: 'blocking',
        message: expect.stringMatching(/does not know \(999-newer\) and lacks .*005-alert-deliveries/),
      });
      await sql`delete from kysely_migration where name = '999-newer'`.execute(db);
      expect((await check())[0]).toMatchObject({
        severity: 'warning',
        message: expect.stringMatching(/1 migration\(s\) not applied yet: 005-alert-deliveries/),
      });
    } finally {
      await t.dispose();
    }
  });

  it('clock: behind what the ledger holds is blocking; on PostgreSQL, off from the server by more than 2 s a warning, by more than a minute blocking', async () => {
    const t = await createTestDb(dialect);
    try {
      const env = dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : { DATA_DIR: join(t.sqlitePath as string, '..') };
      const check = async (offsetMs: number) =>
        find(
          await checkDatabase(loadConfig({ ...base(), ...env }), { pgSchema: t.pgSchema as string, now: () => Date.now() + offsetMs }),
          'clock',
        );
      // A ledger row written now, then a clock two hours behind.
      const { createCore } = await import('../../src/core/index.js');
      const { createUser } = await import('../../src/core/accounts/create-user.js');
      const core = createCore(t.database, { ledgerKey: testLedgerKey });
      const user = await createUser(core.writer, {
        email: 'clock@example.com',
        name: 'Clock',
        password: 'kiwi-lantern-Orbit-73',
        role: 'user',
      });
      await core.ledger.grant(user.id, 1000, 'purchase');
      await core.writer.close();
      const behind = await check(-2 * 3_600_000);
      expect(
        behind
          .filter((f) => f.severity === 'blocking')
          .map((f) => f.message)
          .join('\n'),
      ).toMatch(/newest ledger row .* after this machine's time/);
      expect((await check(0)).filter((f) => f.severity !== 'ok')).toEqual([]);
      if (dialect === 'postgres') {
        expect((await check(5_000)).find((f) => f.severity === 'warning')?.message).toMatch(/5 s ahead of the database server's/);
        expect((await check(120_000)).find((f) => f.severity === 'blocking')?.message).toMatch(/120 s ahead of the database server's/);
      }
    } finally {
      await t.dispose();
    }
  });
});

describe('the doctor command and a production start', () => {
  const cliEnv = (env: NodeJS.ProcessEnv) => ({ PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', DATABASE_URL: '', ...env });
  const cli = nodeArgs('src/cli/main.ts');

  it('`credits doctor` prints every check with its fix and exits 1 on a blocking finding, 0 without', { timeout: 60_000 }, async () => {
    const bad = await run(process.execPath, [...cli, 'doctor'], { env: cliEnv({ ...base(), JWT_SECRET: 'short' }) }).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/BLOCKING jwt_secret: JWT_SECRET is 5 characters/);
    expect(bad.stdout).toMatch(/fix: use at least 32 random characters/);
    expect(bad.stdout).toMatch(/WARNING {2}backups: no scheduled backups/);
    expect(bad.stdout).toMatch(/1 blocking, \d+ warning\(s\): a production start would refuse to start/);
    const good = await run(process.execPath, [...cli, 'doctor'], { env: cliEnv(base()) });
    expect(good.stdout).toMatch(/ok {7}jwt_secret/);
    expect(good.stdout).toMatch(/doctor: no blocking finding/);
  });

  it('NODE_ENV=production `credits serve` refuses to start on a blocking finding, and starts with warnings only', {
    timeout: 60_000,
  }, async () => {
    const env = {
      ...base(),
      PORT: '0',
      STRIPE_SECRET_KEY: 'sk_live_abc',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_abc',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
    };
    const refused = await run(process.execPath, [...cli, 'serve'], { env: cliEnv(env), timeout: 30_000 }).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to start in production/);
    expect(refused.stderr).toMatch(/BLOCKING stripe_keys: the Stripe keys are of different modes/);
    expect(existsSync(join(root, 'data', 'credits.db'))).toBe(false);

    const child: ChildProcess = spawn(process.execPath, [...cli, 'serve'], {
      env: cliEnv({ ...env, STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until('the server to say it is serving, or to exit', () => /serving on/.test(out) || child.exitCode !== null, 30_000, 50);
      expect(out).toMatch(/serving on/);
      expect(out).toMatch(/credits: warning: backups: no scheduled backups.*\(fix: set BACKUP_DIR/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
  });
});
