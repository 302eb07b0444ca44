/**
 * The `credits` command: serve, migrate, seed, verify, users (create, list, set-role,
 * reset-password), bench, and the operations commands of ./commands (backup, restore, doctor).
 */
import '../start/tick-shape.js';
import 'dotenv/config';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { emailAddress } from '../contracts/auth.js';
import { createUser } from '../core/accounts/create-user.js';
import { createCore } from '../core/index.js';
import { LedgerKey } from '../core/ledger/hash.js';
import { LedgerDowngraded, LedgerKeyMismatch, LedgerNotKeyed } from '../core/ledger/key-ledger.js';
import { type ChainHead, verifyLedger } from '../core/ledger/verify.js';
import { migrateToLatest } from '../db/migrate.js';
import { seed } from '../db/seed.js';
import { exitOnSignals, openConfiguredDatabase, prepareDatabase, setupInstructions, startServer } from '../main.js';
import { backupCommand } from './commands/backup.js';
import { doctorCommand, refuseUnsafeStart } from './commands/doctor.js';
import { migrateDryRun } from './commands/migrate-dry-run.js';
import { reconcileCommand } from './commands/reconcile.js';
import { restoreCommand } from './commands/restore.js';
import { formatHeads, parseHeads } from './heads.js';
import { verifyProgress } from './progress.js';
import { commandConfig, describeDatabase as where, openExistingDatabase } from './open-existing.js';
import { usersListCommand } from './commands/users-list.js';
import { usersResetPasswordCommand } from './commands/users-reset-password.js';
import { usersSetRoleCommand } from './commands/users-set-role.js';

function config() {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

const program = new Command();
program.name('credits').description('Credit-based billing: the service and its maintenance commands.');

program
  .command('serve')
  .description('migrate, seed and serve the API and dashboard')
  .action(async () => {
    const c = config();
    await refuseUnsafeStart(c);
    const started = Date.now();
    const running = await startServer(c);
    const url = running.url;
    // Printed once the signals are handled: whoever waits for these lines may stop it at once.
    exitOnSignals(running, (line) => console.log(`credits: ${line}`));
    console.log(`credits: serving on ${url} with ${where(c)}, ready in ${Date.now() - started} ms`);
    console.log(`credits: dashboard ${url}/  ${c.apiDocs ? `API docs ${url}/docs  ` : ''}health ${url}/health/ready`);
    for (const line of running.notices) console.log(`credits: ${line}`);
    if (running.setupToken) for (const line of setupInstructions(url, running.setupToken)) console.log(`credits: ${line}`);
  });

const migrate = program.command('migrate').description('apply pending database migrations');
migrate
  .option('--dry-run', 'list the migrations that would run; change nothing')
  .option(
    '--key-ledger',
    're-hash a ledger written by the release before (plain SHA-256) with the ledger key; prove it first with `credits verify --allow-unkeyed`',
  )
  .addHelpText(
    'after',
    `
A ledger hashed the old, unkeyed way is exactly what someone without the ledger key
produces to launder a forged row, so production never re-keys one by itself: verify it
(credits verify --allow-unkeyed, with --heads FILE if you exported heads), then run
credits migrate --key-ledger once. A ledger that was keyed and reset to the old scheme is
refused even then: restore a backup.`,
  )
  .action(async (o: { dryRun?: boolean; keyLedger?: boolean }) => {
    // A dry run changes nothing: no secret is written to DATA_DIR either (commandConfig).
    if (o.dryRun) return migrateDryRun(commandConfig());
    const c = config();
    const database = await openConfiguredDatabase(c);
    try {
      const r = await prepareDatabase(database, c, { keyLedger: o.keyLedger ?? false });
      console.log(r.migrations.length ? `applied: ${r.migrations.join(', ')}` : `${where(c)} is up to date`);
      if (r.rehashed > 0) console.log(`ledger: ${r.rehashed} rows of ${r.chains} chains re-hashed with the ledger key`);
      for (const u of r.unverified) console.error(`  ledger: ${u} did not verify under the old hash and was left as it was`);
    } finally {
      await database.close();
    }
  });

program
  .command('seed')
  .description('insert the seed packages and pricing rules that are missing')
  .action(async () => {
    const { database } = await openExistingDatabase('seed');
    await migrateToLatest(database.db);
    const r = await seed(database.db);
    console.log(`seed: ${r.packages} package(s) and ${r.rules} pricing rule(s) added`);
    await database.close();
  });

program
  .command('verify')
  .description(
    'recompute every balance, hold and rollup from the ledger, check every hash chain under the ledger key, and cross-check payments and usage; exits 1 on any violation',
  )
  .option(
    '--export-heads [file]',
    'after a clean verify, write every chain head (account, seq, hash) to FILE, or to stdout without one; keep it away from the database',
  )
  .option(
    '--heads <file>',
    'also prove that no chain changed up to the heads in FILE (exported earlier): a chain cut back below its head, or any row up to it changed, is a violation',
  )
  .option(
    '--allow-unkeyed',
    'accept chains hashed the old, unkeyed way (a restore of a backup made before the ledger was keyed): checked with that hash instead of being a violation',
  )
  .addHelpText(
    'after',
    `
The ledger key is LEDGER_KEY (or, outside production, the key generated in DATA_DIR), as
for the service. Export heads regularly (say daily, to another machine); verifying later
with --heads FILE proves nothing before those heads changed, even a rewrite made with
the ledger key or a chain cut back together with its balance. Both flags may be given:
the old heads are checked, then the new ones written. A ledger not keyed (hashed the old
way, plain SHA-256) is a violation, since anyone who can write to the database can make
one: --allow-unkeyed checks such a ledger with the old hash, for old backups.`,
  )
  .action(async (o: { exportHeads?: string | true; heads?: string; allowUnkeyed?: boolean }) => {
    let heads: ChainHead[] | undefined;
    if (o.heads) {
      try {
        heads = parseHeads(readFileSync(o.heads, 'utf8'));
      } catch (e) {
        console.error(`verify: cannot read the heads in ${o.heads}: ${(e as Error).message}`);
        process.exit(2);
      }
    }
    // With the heads going to stdout, everything else goes to stderr.
    const say = o.exportHeads === true ? console.error : console.log;
    const { config: c, database } = await openExistingDatabase('verify');
    const started = Date.now();
    const r = await verifyLedger(database.db, new LedgerKey(c.ledgerKey), {
      heads,
      allowUnkeyed: o.allowUnkeyed,
      onProgress: verifyProgress(started),
    }).finally(() => database.close());
    say(
      `verify: ${r.accounts} accounts, ${r.transactions} ledger rows, ${r.activeHolds} active holds, ` +
        `${r.usageRows} usage rows, ${r.rollupRows} rollups, ${r.payments} payments, ${r.grants} grants` +
        `${heads ? `, ${r.anchors} exported heads` : ''} checked in ${Date.now() - started} ms`,
    );
    if (!r.ok) {
      for (const v of r.violations) console.error(`  violation: ${v}`);
      console.error(`verify: ${r.violations.length} violation(s)`);
      if (o.exportHeads) console.error('verify: heads not exported: a ledger with violations is no anchor');
      process.exitCode = 1;
      return;
    }
    say('verify: clean');
    if (!r.keyed) {
      console.error(
        'verify: the chains are hashed the old way (plain SHA-256), accepted by --allow-unkeyed: once proved, `credits migrate --key-ledger` re-hashes them with the ledger key',
      );
      if (o.exportHeads) {
        console.error('verify: heads not exported: they would change when the chains are re-hashed');
        process.exitCode = 1;
        return;
      }
    }
    if (o.exportHeads) {
      const text = formatHeads(r.heads, new Date());
      if (o.exportHeads === true) process.stdout.write(text);
      else {
        writeFileSync(o.exportHeads, text, { mode: 0o600 });
        say(`verify: ${r.heads.length} chain heads written to ${o.exportHeads}`);
      }
    }
  });

program
  .command('bench')
  .description('run the benchmarks (HTTP, durability, ledger, pgbench, analytics, scale-out) and write bench/results.md')
  .allowUnknownOption(true)
  .helpOption(false)
  .argument(
    '[options...]',
    'passed to bench/run.ts: --quick, --runs N, --seconds S, --only http,ledger,..., --dialect D, --rows N, --out FILE',
  )
  .action((options: string[]) => {
    // The benchmarks live in the source tree (bench/, run with tsx, a dev dependency): they
    // need a checkout with `npm install`, not only the built service.
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = `${root}bench/run.ts`;
    if (!existsSync(script)) {
      console.error(`credits bench: ${script} not found; run it from a checkout of the repository.`);
      process.exit(2);
    }
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...options], { stdio: 'inherit', cwd: root });
    process.exit(r.status ?? 1);
  });

const users = program.command('users').description('manage users');
users
  .command('create')
  .description('create a user')
  .requiredOption('--email <email>', 'email address', (v) => {
    // The rule sign-up applies (POST /api/auth/register): a CLI user is a user like any other.
    const r = emailAddress.safeParse(v);
    if (!r.success) throw new InvalidArgumentError('must be a valid email address');
    return r.data;
  })
  .requiredOption('--password <password>', 'at least 8 characters, not easy to guess')
  .option('--name <name>', 'display name')
  .option(
    '--role <role>',
    'user, admin or super_admin',
    (v) => {
      if (v !== 'user' && v !== 'admin' && v !== 'super_admin') throw new InvalidArgumentError('must be user, admin or super_admin');
      return v;
    },
    'user',
  )
  .action(async (o: { email: string; password: string; name?: string; role: 'user' | 'admin' | 'super_admin' }) => {
    if (o.password.length < 8) {
      console.error('users create: the password must be at least 8 characters');
      process.exit(2);
    }
    const { config: c, database } = await openExistingDatabase('users create');
    await migrateToLatest(database.db);
    // Creating a user writes no ledger row: the ledger is re-keyed by `migrate` or `serve`, never here.
    const core = createCore(database, { ledgerKey: new LedgerKey(c.ledgerKey) });
    try {
      const u = await createUser(core.writer, {
        email: o.email,
        password: o.password,
        passwordMinScore: c.passwordMinScore,
        name: o.name ?? o.email.split('@')[0] ?? o.email,
        role: o.role,
        emailVerified: true,
      });
      console.log(`created ${u.role} ${u.email} (${u.id})`);
    } catch (e) {
      console.error(`users create: ${(e as Error).message}`);
      process.exitCode = 1;
    } finally {
      await core.writer.close();
      await database.close();
    }
  });

backupCommand(program);
restoreCommand(program);
reconcileCommand(program);
doctorCommand(program);
usersListCommand(users);
usersSetRoleCommand(users);
usersResetPasswordCommand(users);

/** Errors of a database that cannot be reached (the network, a missing database, refused credentials). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '3D000', '28P01', '28000']);

program.parseAsync().catch((e) => {
  const message = e instanceof Error ? e.message : String(e);
  // `serve` and `migrate` name the database as the other commands do (open-existing.ts).
  const unreachable = UNREACHABLE.has(String((e as { code?: unknown })?.code));
  console.error(unreachable ? `Cannot reach ${where(commandConfig())}: ${message}` : message);
  process.exit(e instanceof LedgerKeyMismatch || e instanceof LedgerNotKeyed || e instanceof LedgerDowngraded ? 2 : 1);
});
