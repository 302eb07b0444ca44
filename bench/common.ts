/** Helpers shared by the benchmark sections. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Database, type Dialect, openDatabase } from '../src/db/open.js';

export const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The value after `--name` on the command line, or undefined. */
export const arg = (name: string): string | undefined => {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

export const fmt = (x: number) => Math.round(x).toLocaleString('en');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

/** The machine's CPU time so far, by kind: /proc/stat's first line (user, nice, system, idle, iowait, …), in clock ticks. */
export function machineTicks(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
}

/** The machine's CPU time between two machineTicks() by kind (/proc/stat's columns), in % of all of it. */
export function machineShares(before: number[], after: number[]) {
  const d = after.map((v, i) => v - (before[i] ?? 0));
  const total = d.reduce((x, y) => x + y, 0);
  const pc = (i: number) => (total > 0 ? (100 * (d[i] ?? 0)) / total : Number.NaN);
  return { user: pc(0), system: pc(2), idle: pc(3), iowait: pc(4), softirq: pc(6), steal: pc(7) };
}

/** The machine's idle share (idle and iowait, of every CPU) between two machineTicks(), in %. */
export function idleShare(before: number[], after: number[]): number {
  const { idle, iowait } = machineShares(before, after);
  return idle + iowait;
}

export async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Runs SQL on the benchmark's Postgres with a short-lived client. */
export async function pgQuery(text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

export function cpuModel(): string {
  const model = cpus()[0]?.model?.trim();
  if (model && model !== 'unknown') return model;
  try {
    const line = execFileSync('lscpu', { encoding: 'utf8' })
      .split('\n')
      .find((l) => l.startsWith('Model name:'));
    return line?.split(':')[1]?.trim() ?? 'unknown cpu';
  } catch {
    return 'unknown cpu';
  }
}

/** `url` with an `application_name`, so the bench can find its Postgres backends. */
export function withAppName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

/**
 * CPU seconds (user + system, from /proc: Postgres runs on this machine) used so far by
 * the client backends whose application_name is `name`, by pid; NaN for a pid /proc hides.
 */
export async function pgBackendCpu(name: string): Promise<Map<number, number>> {
  const r = await pgQuery(
    `select pid from pg_stat_activity where application_name = '${name.replace(/'/g, "''")}' and backend_type = 'client backend'`,
  );
  const out = new Map<number, number>();
  for (const { pid } of r.rows as { pid: number }[]) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      out.set(pid, Number.NaN);
    }
  }
  return out;
}

/**
 * CPU seconds the backends used between two `pgBackendCpu` samples: a backend first seen in
 * `after` started in between (all its CPU counts); one gone by `after` is not counted (an idle
 * pool connection closing, which used next to nothing).
 */
export function pgCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let s = 0;
  for (const [pid, t] of after) {
    const t0 = before.get(pid) ?? 0;
    if (Number.isFinite(t0) && Number.isFinite(t)) s += t - t0;
  }
  return s;
}

/**
 * An empty database of a section's own, not yet migrated: a SQLite file (synchronous=FULL) in
 * a temporary directory `credits-bench-<tag>-…`, or a Postgres schema `bench_<tag>_<pid>` on
 * PG_URL with a pool of `pgPoolSize`. `dispose` closes it and removes the file or drops the schema.
 */
export async function freshDatabase(
  dialect: Dialect,
  tag: string,
  pgPoolSize: number,
): Promise<{ database: Database; schema?: string; dispose(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `credits-bench-${tag ? `${tag}-` : ''}`));
    const database = await openDatabase({ sqlitePath: join(dir, 'bench.db'), sqliteSynchronous: 'FULL' });
    const dispose = async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { database, dispose };
  }
  const schema = `bench_${tag ? `${tag}_` : ''}${process.pid}`;
  await pgQuery(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const database = await openDatabase({ databaseUrl: PG_URL, pgSchema: schema, pgPoolSize });
  const dispose = async () => {
    await database.close();
    await pgQuery(`drop schema if exists ${schema} cascade`);
  };
  return { database, schema, dispose };
}
