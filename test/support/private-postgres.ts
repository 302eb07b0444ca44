/**
 * A PostgreSQL server of a test's own, in a temp directory on a free port, so a test can
 * stop it with `-m immediate` (what `pg_ctlcluster <v> <name> stop -m immediate` runs:
 * every backend is killed without a checkpoint and the next start replays the WAL) without
 * taking the shared test server away from the rest of the suite. Uses the machine's
 * PostgreSQL binaries (initdb, pg_ctl); as root it runs them as the `postgres` user, since
 * PostgreSQL refuses to run as root. `privatePostgresAvailable` says whether the binaries
 * are here (locally a suite may be skipped without them; in CI they are required).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './spawn-server.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  url: string;
  /** Kills the server the way `stop -m immediate` does; resolves when it is down. */
  stopImmediate(): Promise<void>;
  /** Starts it again (crash recovery from the WAL); resolves when it accepts connections. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Whether initdb and pg_ctl are here. In CI (where the Postgres suite is required) their absence is an error. */
export function privatePostgresAvailable(): boolean {
  if (binDir()) return true;
  if (process.env.CI) throw new Error('PostgreSQL binaries (initdb, pg_ctl) are required in CI');
  console.warn('[tests] private PostgreSQL suite skipped: no /usr/lib/postgresql/<v>/bin/pg_ctl here');
  return false;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL binaries (initdb, pg_ctl) are missing: check privatePostgresAvailable() first');
  const asRoot = process.getuid?.() === 0;
  const pgCmd = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);

  const dir = mkdtempSync(join(tmpdir(), 'credits-pg-'));
  if (asRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout));
  const data = join(dir, 'data');
  const port = await freePort();
  await pgCmd('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const startArgs = [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`,
    'start',
  ];
  const start = async () => {
    await pgCmd('pg_ctl', startArgs);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stopImmediate: async () => {
      await pgCmd('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    dispose: async () => {
      await pgCmd('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
