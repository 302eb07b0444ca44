/** The doctor's checks of the database: reachable, migrated, and the clock compared with it. */
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import { migrationStatus } from '../db/migrate.js';
import { KEYED_SCHEME, LedgerKey } from '../core/ledger/hash.js';
import { type Database, openDatabase } from '../db/open.js';
import { type DoctorOptions, type Finding, ok, type Severity } from './finding.js';

const CLOCK_WARN_MS = 2_000;
const CLOCK_BLOCK_MS = 60_000;

/** The one finding when the database cannot be reached: nothing else can be checked then. */
const unreachable = (message: string, fix: string): Finding[] => [{ check: 'database', severity: 'blocking', message, fix }];

/** The findings about the database: reachable, migrated, and the clock compared with it. */
export async function checkDatabase(config: Config, opts: DoctorOptions = {}): Promise<Finding[]> {
  const now = opts.now ?? Date.now;
  if (!config.databaseUrl && !existsSync(config.sqlitePath)) {
    return [
      {
        check: 'database',
        severity: 'warning',
        message: `${config.sqlitePath} does not exist yet`,
        fix: '`credits serve` (or `credits migrate`) creates it; if you expected data there, check DATA_DIR',
      },
    ];
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
    return unreachable(
      `the database cannot be opened: ${(e as Error).message}`,
      'check DATABASE_URL (or DATA_DIR) and that the server is up',
    );
  }
  const out: Finding[] = [];
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
      return unreachable(
        `the database does not answer: ${(e as Error).message}`,
        'check DATABASE_URL (host, port, user, password, database) and that the server is up',
      );
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
      // The ledger key: a start refuses another key than the one the ledger is hashed with.
      const state = await database.db
        .selectFrom('ledger_state')
        .select(['hash_scheme', 'key_check'])
        .where('id', '=', 'chains')
        .executeTakeFirst();
      if (state?.hash_scheme === KEYED_SCHEME) {
        out.push(
          state.key_check === new LedgerKey(config.ledgerKey).check
            ? ok('ledger_key', 'LEDGER_KEY is the key the ledger is hashed with')
            : {
                check: 'ledger_key',
                severity: 'blocking',
                message:
                  'LEDGER_KEY is not the key this ledger is hashed with: a start refuses it (exit 2), and `credits verify` would call every row a violation',
                fix: 'set LEDGER_KEY to the key the ledger was written with (kept apart from the database: see docs/operations.md)',
              },
        );
      }
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
