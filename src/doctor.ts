/**
 * `credits doctor`: checks the configuration a production start would use, and the things
 * around it (data directory, backups, database, clock), and says how to fix each problem.
 * A `blocking` finding makes a production start (`credits serve` with NODE_ENV=production)
 * refuse to start; a `warning` is printed and the start goes on.
 *
 * The environment is read as production reads it, whatever NODE_ENV says, so the doctor
 * can be run before the switch.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { type Config, ConfigError, loadConfig } from './config.js';
import { passwordProblem } from './core/accounts/password-policy.js';
import { migrationStatus } from './db/migrate.js';
import { type Database, isPostgresUrl, openDatabase } from './db/open.js';

export type Severity = 'blocking' | 'warning' | 'ok';

export interface Finding {
  /** Stable name of the check (tests and scripts key on it). */
  check: string;
  severity: Severity;
  message: string;
  /** How to fix it (absent when all is well). */
  fix?: string;
}

export interface DoctorOptions {
  /** Postgres schema (tests give each run its own). */
  pgSchema?: string;
  now?: () => number;
  /** Skip the checks that need the database (the start-up check runs before it opens). */
  skipDatabase?: boolean;
}

const MIN_SECRET_BITS = 128;
const CLOCK_WARN_MS = 2_000;
const CLOCK_BLOCK_MS = 60_000;

/** Shannon entropy of the string's own character distribution, times its length: a rough guessability measure. */
export function estimatedBits(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * s.length;
}

const GENERATE = 'generate one with `openssl rand -base64 48`';

function secretFindings(name: string, value: string, what: string): Finding | null {
  if (value.length < 32) {
    return {
      check: name.toLowerCase(),
      severity: 'blocking',
      message: `${name} is ${value.length} characters; ${what}`,
      fix: `use at least 32 random characters: ${GENERATE}`,
    };
  }
  const bits = estimatedBits(value);
  if (bits < MIN_SECRET_BITS) {
    return {
      check: name.toLowerCase(),
      severity: 'blocking',
      message: `${name} looks guessable (about ${Math.round(bits)} bits of entropy, fewer than ${MIN_SECRET_BITS}); ${what}`,
      fix: `replace it with random characters: ${GENERATE}`,
    };
  }
  return null;
}

const ok = (check: string, message: string): Finding => ({ check, severity: 'ok', message });

/** The findings about the environment alone: secrets, keys, settings. */
export function checkEnvironment(env: NodeJS.ProcessEnv): Finding[] {
  const out: Finding[] = [];
  const v = (k: string) => {
    const x = env[k]?.trim();
    return x ? x : undefined;
  };

  if (env.NODE_ENV !== 'production') {
    out.push({
      check: 'node_env',
      severity: 'warning',
      message: `NODE_ENV is ${env.NODE_ENV ? `'${env.NODE_ENV}'` : 'unset'}: the service would start in development mode (generated secrets, simulated payments); these findings are for NODE_ENV=production`,
      fix: 'set NODE_ENV=production for a production start',
    });
  } else out.push(ok('node_env', 'NODE_ENV=production'));

  const jwt = v('JWT_SECRET');
  if (!jwt) {
    out.push({
      check: 'jwt_secret',
      severity: 'blocking',
      message: 'JWT_SECRET is not set; production refuses to start without it (sessions are signed with it)',
      fix: `set JWT_SECRET: ${GENERATE}`,
    });
  } else {
    out.push(
      secretFindings('JWT_SECRET', jwt, 'whoever guesses it can sign in as anyone') ??
        ok('jwt_secret', 'JWT_SECRET is set and long enough'),
    );
  }

  const ledgerKey = v('LEDGER_KEY');
  if (!ledgerKey) {
    out.push({
      check: 'ledger_key',
      severity: 'blocking',
      message: 'LEDGER_KEY is not set; production refuses to start without it (every ledger row is hashed under it)',
      fix: `set LEDGER_KEY, kept apart from the database and its backups: ${GENERATE}`,
    });
  } else {
    out.push(
      secretFindings(
        'LEDGER_KEY',
        ledgerKey,
        'whoever guesses it and can write to the database can rewrite the ledger so that verify passes',
      ) ?? ok('ledger_key', 'LEDGER_KEY is set and long enough'),
    );
  }

  const serviceKey = v('SERVICE_API_KEY');
  if (serviceKey) {
    out.push(
      secretFindings('SERVICE_API_KEY', serviceKey, 'whoever guesses it can charge any account') ??
        ok('service_api_key', 'SERVICE_API_KEY is long enough'),
    );
  }

  const adminPassword = v('SUPER_ADMIN_PASSWORD');
  // The sign-up policy (zxcvbn-ts): a start that has to create the super admin refuses a
  // password it refuses; one that passes but is under 12 characters is still worth a word.
  const policy = adminPassword ? passwordProblem(adminPassword, [v('SUPER_ADMIN_EMAIL') ?? '']) : null;
  if (adminPassword && (policy || adminPassword.length < 12)) {
    out.push({
      check: 'super_admin_password',
      severity: 'warning',
      message: `SUPER_ADMIN_PASSWORD is short or common${policy ? ` (${policy} A start that has to create the super admin refuses it.)` : ''}; it is used only to create the super admin when it does not exist`,
      fix: 'use a long random password, sign in, change it (or unset SUPER_ADMIN_PASSWORD once the super admin exists)',
    });
  }

  const sk = v('STRIPE_SECRET_KEY');
  const pk = v('STRIPE_PUBLISHABLE_KEY');
  const whsec = v('STRIPE_WEBHOOK_SECRET');
  const skMode = sk ? /^(?:sk|rk)_(live|test)_/.exec(sk)?.[1] : undefined;
  const pkMode = pk ? /^pk_(live|test)_/.exec(pk)?.[1] : undefined;
  if (sk && !skMode) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: 'STRIPE_SECRET_KEY does not look like a Stripe secret key (sk_live_..., sk_test_..., or a restricted rk_...)',
      fix: 'copy the secret key from the Stripe dashboard (Developers > API keys)',
    });
  }
  if (pk && !pkMode) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: 'STRIPE_PUBLISHABLE_KEY does not look like a Stripe publishable key (pk_live_... or pk_test_...)',
      fix: 'copy the publishable key from the Stripe dashboard (Developers > API keys)',
    });
  }
  if (skMode && pkMode && skMode !== pkMode) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: `the Stripe keys are of different modes: the secret key is ${skMode}, the publishable key ${pkMode}; card payments would fail`,
      fix: `use the ${skMode} publishable key with the ${skMode} secret key (both live, or both test)`,
    });
  }
  if (sk && !pk) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: 'STRIPE_PUBLISHABLE_KEY is not set: the dashboard cannot show the card form (the service refuses to start)',
      fix: 'set STRIPE_PUBLISHABLE_KEY (pk_... of the same mode as the secret key)',
    });
  }
  if (pk && !sk) {
    out.push({
      check: 'stripe_keys',
      severity: 'warning',
      message: 'STRIPE_PUBLISHABLE_KEY is set without STRIPE_SECRET_KEY: Stripe is not used',
      fix: 'set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or unset STRIPE_PUBLISHABLE_KEY',
    });
  }
  if (skMode === 'test' && env.NODE_ENV === 'production') {
    out.push({
      check: 'stripe_keys',
      severity: 'warning',
      message: 'Stripe is in test mode: no real money is taken',
      fix: 'use the live keys (sk_live_..., pk_live_...) and the live webhook secret',
    });
  }
  if (skMode && !out.some((f) => f.check === 'stripe_keys')) out.push(ok('stripe_keys', `Stripe keys are both in ${skMode} mode`));
  if (sk && !whsec) {
    out.push({
      check: 'stripe_webhook_secret',
      severity: 'blocking',
      message:
        'STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET: payments would never credit anyone (the webhook cannot be verified)',
      fix: 'add an endpoint for /api/credits/stripe/webhook in the Stripe dashboard and set STRIPE_WEBHOOK_SECRET to its signing secret (whsec_...)',
    });
  } else if (whsec && !sk) {
    out.push({
      check: 'stripe_webhook_secret',
      severity: 'blocking',
      message: 'STRIPE_WEBHOOK_SECRET is set without STRIPE_SECRET_KEY',
      fix: 'set STRIPE_SECRET_KEY too, or unset STRIPE_WEBHOOK_SECRET',
    });
  } else if (whsec && !whsec.startsWith('whsec_')) {
    out.push({
      check: 'stripe_webhook_secret',
      severity: 'warning',
      message: 'STRIPE_WEBHOOK_SECRET does not start with whsec_: every webhook would fail its signature check',
      fix: "copy the endpoint's signing secret from the Stripe dashboard",
    });
  } else if (whsec) out.push(ok('stripe_webhook_secret', 'STRIPE_WEBHOOK_SECRET is set'));
  if (!sk && env.NODE_ENV === 'production') {
    const simulated = ['true', '1', 'yes'].includes(env.ALLOW_SIMULATED_PAYMENTS ?? '');
    out.push({
      check: 'payments',
      severity: 'warning',
      message: simulated
        ? 'ALLOW_SIMULATED_PAYMENTS is on in production: every purchase succeeds without money'
        : 'no Stripe keys: purchases answer 503 payments_unavailable (credits only come from admins, promotions and sign-up bonuses)',
      fix: 'set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PUBLISHABLE_KEY (docs/payments.md)',
    });
  }

  if (v('VAPI_API_KEY') && !v('VAPI_WEBHOOK_SECRET')) {
    out.push({
      check: 'vapi_webhook_secret',
      severity: 'blocking',
      message:
        "VAPI_API_KEY is set without VAPI_WEBHOOK_SECRET: a production start is refused, since instances cannot share a secret each generates itself, and VAPI's end-of-call reports are refused (401) without the one they send",
      fix: 'set VAPI_WEBHOOK_SECRET and the same value as the server URL secret in VAPI (sent as x-vapi-secret)',
    });
  } else if (v('VAPI_WEBHOOK_SECRET')) {
    out.push(
      secretFindings('VAPI_WEBHOOK_SECRET', v('VAPI_WEBHOOK_SECRET') as string, 'whoever guesses it can end calls with any duration') ??
        ok('vapi_webhook_secret', 'VAPI_WEBHOOK_SECRET is set'),
    );
  }

  if (v('ALERTS_WEBHOOK_URL') && !v('ALERTS_WEBHOOK_SECRET')) {
    out.push({
      check: 'alerts_webhook_secret',
      severity: 'warning',
      message:
        'ALERTS_WEBHOOK_URL is set without ALERTS_WEBHOOK_SECRET: the receiver cannot tell our events from forged ones (its endpoint signs with a secret generated here that the receiver does not know)',
      fix: `set ALERTS_WEBHOOK_SECRET (${GENERATE}) and check webhook-signature in the receiver (docs/events.md)`,
    });
  }

  const postgres = isPostgresUrl(v('DATABASE_URL'));
  const synchronous = v('SQLITE_SYNCHRONOUS');
  if (!postgres && synchronous && synchronous !== 'FULL') {
    out.push({
      check: 'durability',
      severity: 'warning',
      message: `SQLITE_SYNCHRONOUS=${synchronous}: a power loss can lose acknowledged payments and charges`,
      fix: 'unset it (FULL), see docs/durability.md',
    });
  }
  if (postgres && v('PG_SYNCHRONOUS_COMMIT') === 'off') {
    out.push({
      check: 'durability',
      severity: 'warning',
      message: 'PG_SYNCHRONOUS_COMMIT=off: a PostgreSQL crash can lose the last acknowledged commits',
      fix: 'unset it, see docs/durability.md',
    });
  }
  if (v('CORS_ORIGIN') === '*') {
    out.push({
      check: 'cors',
      severity: 'warning',
      message: "CORS_ORIGIN=* lets any web page call the API with a user's token",
      fix: 'list the origins of your front ends, comma separated',
    });
  }
  return out;
}

/** `dir`, or its nearest ancestor that exists. */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Null when `dir` can be written (or, when it does not exist yet, created); else why not. Leaves nothing behind. */
function writable(dir: string): string | null {
  const probeDir = existingAncestor(dir);
  try {
    if (!statSync(probeDir).isDirectory()) return `${probeDir} is not a directory`;
    const probe = join(probeDir, `.doctor-${randomBytes(6).toString('hex')}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The findings about the file system: the data directory and the backups. */
export function checkFiles(config: Config): Finding[] {
  const out: Finding[] = [];
  const dataProblem = writable(config.dataDir);
  out.push(
    dataProblem
      ? {
          check: 'data_dir',
          severity: 'blocking',
          message: `DATA_DIR ${config.dataDir} is not writable: ${dataProblem}`,
          fix: 'create it and give it to the user the service runs as (chown), or point DATA_DIR elsewhere',
        }
      : ok('data_dir', `DATA_DIR ${config.dataDir} is writable${existsSync(config.dataDir) ? '' : ' (it will be created)'}`),
  );
  const sqlite = !config.databaseUrl;
  if (!config.backups) {
    if (sqlite) {
      out.push({
        check: 'backups',
        severity: 'warning',
        message: `no scheduled backups: ${config.sqlitePath} is the only copy of every balance`,
        fix: 'set BACKUP_DIR (on another disk), BACKUP_INTERVAL_MINUTES and BACKUP_KEEP, and copy BACKUP_DIR off the machine (docs/operations.md)',
      });
    }
    return out;
  }
  if (!sqlite) {
    out.push({
      check: 'backups',
      severity: 'warning',
      message: 'BACKUP_DIR is set but the database is PostgreSQL: it is ignored',
      fix: 'unset BACKUP_DIR and back PostgreSQL up with pg_dump or base backups (docs/operations.md)',
    });
    return out;
  }
  const backupProblem = writable(config.backups.dir);
  if (backupProblem) {
    out.push({
      check: 'backups',
      severity: 'blocking',
      message: `BACKUP_DIR ${config.backups.dir} is not writable: ${backupProblem}`,
      fix: 'create it and give it to the user the service runs as, or point BACKUP_DIR elsewhere',
    });
    return out;
  }
  const sameDisk = (() => {
    try {
      return statSync(existingAncestor(config.backups.dir)).dev === statSync(existingAncestor(config.dataDir)).dev;
    } catch {
      return false;
    }
  })();
  if (sameDisk) {
    out.push({
      check: 'backups',
      severity: 'warning',
      message: `BACKUP_DIR ${config.backups.dir} is on the same file system as the database: one disk failure takes both`,
      fix: 'mount BACKUP_DIR from another disk, or copy it off the machine after each backup (docs/operations.md)',
    });
  } else {
    out.push(
      ok('backups', `backups every ${config.backups.intervalMs / 60_000} min to ${config.backups.dir}, ${config.backups.keep} kept`),
    );
  }
  return out;
}

/** The findings about the database: reachable, migrated, and the clock compared with it. */
export async function checkDatabase(config: Config, opts: DoctorOptions = {}): Promise<Finding[]> {
  const now = opts.now ?? Date.now;
  const out: Finding[] = [];
  if (!config.databaseUrl && !existsSync(config.sqlitePath)) {
    out.push({
      check: 'database',
      severity: 'warning',
      message: `${config.sqlitePath} does not exist yet`,
      fix: '`credits serve` (or `credits migrate`) creates it; if you expected data there, check DATA_DIR',
    });
    return out;
  }
  let database: Database;
  try {
    database = await openDatabase({
      databaseUrl: config.databaseUrl,
      sqlitePath: config.sqlitePath,
      pgSchema: opts.pgSchema,
      pgPoolSize: 1,
    });
  } catch (e) {
    out.push({
      check: 'database',
      severity: 'blocking',
      message: `the database cannot be opened: ${(e as Error).message}`,
      fix: 'check DATABASE_URL (or DATA_DIR) and that the server is up',
    });
    return out;
  }
  try {
    const t0 = Date.now();
    let serverNow: number;
    try {
      serverNow = config.databaseUrl
        ? Number(
            (await sql<{ t: number }>`select (extract(epoch from clock_timestamp()) * 1000)::float8 as t`.execute(database.db)).rows[0]?.t,
          )
        : Number((await sql<{ t: number }>`select 1 as t`.execute(database.db)).rows[0]?.t);
    } catch (e) {
      out.push({
        check: 'database',
        severity: 'blocking',
        message: `the database does not answer: ${(e as Error).message}`,
        fix: 'check DATABASE_URL (host, port, user, password, database) and that the server is up',
      });
      return out;
    }
    const rtt = Date.now() - t0;
    out.push(ok('database', `the database answers (${config.databaseUrl ? 'PostgreSQL' : 'SQLite'}, ${rtt} ms)`));

    const status = await migrationStatus(database.db);
    if (status.unknown.length > 0 && status.pending.length > 0) {
      out.push({
        check: 'migrations',
        severity: 'blocking',
        message: `the database has migrations this release does not know (${status.unknown.join(', ')}) and lacks some of its own (${status.pending.join(', ')})`,
        fix: 'run the release that migrated it, or restore a backup made by this one',
      });
    } else if (status.unknown.length > 0) {
      out.push({
        check: 'migrations',
        severity: 'warning',
        message: `the database was migrated by a newer release (${status.unknown.join(', ')}); this one runs on it unchanged`,
        fix: 'fine during a rolling upgrade; otherwise upgrade this instance',
      });
    } else if (status.pending.length > 0) {
      out.push({
        check: 'migrations',
        severity: 'warning',
        message: `${status.pending.length} migration(s) not applied yet: ${status.pending.join(', ')}`,
        fix: '`credits serve` applies them at start; `credits migrate --dry-run` lists them, `credits migrate` applies them now',
      });
    } else {
      out.push(ok('migrations', `all ${status.applied.length} migrations applied`));
    }

    const local = now();
    if (config.databaseUrl) {
      // The server's clock read halfway through the round trip.
      const skew = local - rtt / 2 - serverNow;
      const severity: Severity = Math.abs(skew) > CLOCK_BLOCK_MS ? 'blocking' : Math.abs(skew) > CLOCK_WARN_MS ? 'warning' : 'ok';
      out.push(
        severity === 'ok'
          ? ok('clock', `this machine's clock is within ${Math.max(1, Math.round(Math.abs(skew)))} ms of the database server's`)
          : {
              check: 'clock',
              severity,
              message: `this machine's clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} the database server's: token expiry, hold expiry and Stripe's signature tolerance use it`,
              fix: 'run time synchronisation (systemd-timesyncd, chrony or ntpd) on both machines',
            },
      );
    }
    if (status.applied.length > 0) {
      const newest = await database.db
        .selectFrom('credit_transactions')
        .select((eb) => eb.fn.max('created_at').as('t'))
        .executeTakeFirst();
      const t = Number(newest?.t ?? 0);
      if (t > local + CLOCK_BLOCK_MS) {
        out.push({
          check: 'clock',
          severity: 'blocking',
          message: `the newest ledger row was written at ${new Date(t).toISOString()}, ${Math.round((t - local) / 1000)} s after this machine's time: the clock went backwards, or the data came from a machine whose clock was ahead`,
          fix: 'set the clock right (systemd-timesyncd, chrony or ntpd) before starting',
        });
      } else if (!config.databaseUrl) {
        out.push(ok('clock', "this machine's clock is not behind anything written to the ledger"));
      }
    }
  } finally {
    await database.close();
  }
  return out;
}

/**
 * Every finding for the environment `env`, as a production start would read it. When the
 * configuration cannot be loaded its problems are findings too, and the checks that need
 * it are skipped.
 */
export async function runDoctor(env: NodeJS.ProcessEnv, opts: DoctorOptions = {}): Promise<Finding[]> {
  const findings = checkEnvironment(env);
  const reported = new Set(findings.filter((f) => f.severity === 'blocking').map((f) => f.check));
  // What the findings above already say is taken out, so that the rest can still be checked.
  const rest: NodeJS.ProcessEnv = { ...env, NODE_ENV: 'production' };
  if (reported.has('jwt_secret')) rest.JWT_SECRET = 'x'.repeat(64);
  if (reported.has('stripe_webhook_secret')) {
    delete rest.STRIPE_SECRET_KEY;
    delete rest.STRIPE_WEBHOOK_SECRET;
  }
  let config: Config;
  try {
    config = loadConfig(rest);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.message.split('\n').slice(1)) {
      const problem = line.trim();
      if (!problem) continue;
      const variable = /^([A-Z_]+)/.exec(problem)?.[1];
      findings.push({
        check: 'config',
        severity: 'blocking',
        message: problem,
        fix: variable ? `correct ${variable} (README, Configuration)` : 'correct the configuration (README, Configuration)',
      });
    }
    return findings;
  }
  findings.push(...checkFiles(config));
  if (!opts.skipDatabase) findings.push(...(await checkDatabase(config, opts)));
  return findings;
}
