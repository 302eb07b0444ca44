/**
 * The service in a child process of its own (test/support/server-process.ts), for tests
 * that kill it or need two real processes: configured through the environment exactly as
 * in production. `kill9` is kill -9.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_LEDGER_KEY, type TestDb } from './db.js';
import { nodeArgs } from './entries.js';

export const CHILD_JWT_SECRET = 'child-test-secret-child-test-secret-0123456';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /** The memory it still holds after a full GC (see server-process.ts), in bytes. */
  liveMemory(): Promise<NodeJS.MemoryUsage>;
}

/** `cpus`: pin the server to these CPUs (`taskset -c`, which execs node in place: same pid). */
export function spawnServer(env: Record<string, string>, opts: { cpus?: string } = {}): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const node = [process.execPath, ...nodeArgs('test/support/server-process.ts')];
    const [cmd, ...args] = opts.cpus ? ['taskset', '-c', opts.cpus, ...node] : node;
    const child = spawn(cmd as string, args, {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        JWT_SECRET: CHILD_JWT_SECRET,
        LEDGER_KEY: TEST_LEDGER_KEY,
        PORT: '0',
        ALLOW_SIMULATED_PAYMENTS: 'true',
        AUTH_RATE_LIMIT: '100000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d) => (err += d));
    child.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before ready: ${err}`)));
    const heapWaiters: ((m: NodeJS.MemoryUsage) => void)[] = [];
    const liveMemory = () =>
      new Promise<NodeJS.MemoryUsage>((res) => {
        heapWaiters.push(res);
        child.kill('SIGUSR2');
      });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve({ child, url: line.slice(6), stderr: () => err, liveMemory });
      else if (line.startsWith('heap ')) heapWaiters.shift()?.(JSON.parse(line.slice(5)) as NodeJS.MemoryUsage);
    });
  });
}

export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * The environment that points a server process at a test database: its Postgres schema,
 * or the directory of its SQLite file with synchronous=FULL (no acknowledged loss on a
 * crash). On Postgres, a pool of `pgPoolSize` when given.
 */
export function databaseEnv(db: TestDb, pgPoolSize?: number): Record<string, string> {
  return db.dialect === 'postgres'
    ? { DATABASE_URL: db.url as string, TEST_PG_SCHEMA: db.pgSchema as string, ...(pgPoolSize ? { PG_POOL_SIZE: String(pgPoolSize) } : {}) }
    : { DATA_DIR: dirname(db.sqlitePath as string), SQLITE_SYNCHRONOUS: 'FULL' };
}

/** A TCP port free on 127.0.0.1 right now (for a server that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
