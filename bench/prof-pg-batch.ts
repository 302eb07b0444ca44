/**
 * Where a PostgreSQL batch's wall time goes under the metered load (issue 21, goal 3): the
 * built server run with bench/pg-trace.mjs preloaded, which times every query node-postgres
 * sends and each writer transaction (begin to commit on one connection); autocannon drives
 * the metered POST /api/messages of one user (as the http section does) with 64 connections.
 * Prints, per batch: round trips, time in each statement, the JavaScript between them, and the
 * time the writer had no transaction open; and, for the ratio, the same load on SQLite in
 * the same run (no trace), with server CPU per request from /proc.
 *
 *   npm run build:server && npx tsx bench/prof-pg-batch.ts [SECONDS] [CONNECTIONS]
 *   npx tsx bench/prof-pg-batch.ts 5 64 ab [RUNS]   (no trace: pipeline off, SQLite, pipeline on, alternated)
 *   npx tsx bench/prof-pg-batch.ts 5 64 writes [RUNS]   (PG_PIPELINED_WRITES: four round trips a batch, SQLite, two;
 *                                                      alternated, then one traced run of each)
 *   npx tsx bench/prof-pg-batch.ts 5 64 builds <server.mjs A> <server.mjs B> [RUNS]   (two builds, each its own
 *                                                      dist/ as in bench/ab-metered.ts: traced runs, alternated)
 *   npx tsx bench/prof-pg-batch.ts 5 64 vs [RUNS] name:K=V,K=V ...   (settings alternated, order reversed every
 *                                                      other run; a name starting `sqlite` runs SQLite)
 *   npx tsx bench/prof-pg-batch.ts 5 64 accounts N [RUNS] name:K=V ...   (as vs, the load spread over N funded
 *                                                      accounts: connection i sends as account i mod N)
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { PG_URL, pgBackendCpu, pgCpuBetween, withAppName } from './common.js';
import { benchDb, fundedTokens, measuredRun, spreadMeteredRequest, startServerProc } from './http.js';

const SECONDS = Number(process.argv[2] ?? 5);
const C = Number(process.argv[3] ?? 64);
const TRACE = new URL('./pg-trace.mjs', import.meta.url).pathname;

type Trace = {
  kinds: Record<string, { n: number; ms: number }>;
  batches: { begin: number; end: number; idleBefore: number; trips?: number; steps: [string, number, number?][] }[];
};

const APP = `prof-pg-batch-${process.pid}`;

async function run(
  dialect: Dialect,
  trace: boolean,
  pipeline = 2,
  pipelinedWrites = true,
  extra: Record<string, string> = {},
  script: string | undefined = undefined,
  accounts = 1,
) {
  const db = await benchDb(dialect);
  const out = join(tmpdir(), `pg-trace-${process.pid}-${dialect}.json`);
  const env: Record<string, string> = {
    PG_TRACE_OUT: out,
    WRITER_PIPELINE: String(pipeline),
    PG_PIPELINED_WRITES: String(pipelinedWrites),
    ...extra,
  };
  // Postgres's backends of this server, found by name: their CPU per request.
  if (dialect === 'postgres') env.DATABASE_URL = withAppName(PG_URL, APP);
  const server = await startServerProc(db, env, script, trace ? ['--import', TRACE] : []);
  try {
    const tokens = await fundedTokens(server.url, `prof-${dialect}`, accounts, 50_000_000);
    const opts = { url: `${server.url}/api/messages`, connections: C, ...spreadMeteredRequest(tokens) };
    await measuredRun(server, { ...opts, duration: 2 });
    if (trace) {
      server.child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 200));
    }
    const pg0 = dialect === 'postgres' ? await pgBackendCpu(APP) : undefined;
    const measured = await measuredRun(server, { ...opts, duration: SECONDS });
    const pgUs = pg0 ? Math.round((pgCpuBetween(pg0, await pgBackendCpu(APP)) * 1e6) / (measured.rps * SECONDS)) : undefined;
    const load = { ...measured, ...(pgUs !== undefined ? { pgUs } : {}) };
    let t: Trace | undefined;
    if (trace) {
      server.child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 500));
      t = JSON.parse(readFileSync(out, 'utf8')) as Trace;
      rmSync(out, { force: true });
    }
    return { load, trace: t };
  } finally {
    await server.stop();
    await db.dispose();
  }
}

const la = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
const r = (x: number) => Math.round(x);

function report(name: string, run: { load: { rps: number; cpuUs?: number }; trace?: Trace }) {
  const t = run.trace as Trace;
  const bs = t.batches.filter((b) => b.steps.at(-1)?.[0].startsWith('commit')).sort((a, b) => a.begin - b.begin);
  const first = bs[0]?.begin ?? 0;
  const span = Math.max(...bs.map((b) => b.end)) - first;
  // The time some writer transaction was open: the union of the batches' spans.
  let covered = 0;
  let upTo = first;
  for (const b of bs) {
    if (b.end <= upTo) continue;
    covered += b.end - Math.max(b.begin, upTo);
    upTo = b.end;
  }
  const ops = run.load.rps * SECONDS;
  console.log(
    `${name}: ${r(run.load.rps)}/s, ${run.load.cpuUs} µs server CPU/request; ${bs.length} writer transactions over ${r(span)} ms ` +
      `(~${(ops / Math.max(1, bs.length)).toFixed(1)} requests each, one every ${(span / bs.length).toFixed(2)} ms); ` +
      `no transaction open ${(100 * (1 - covered / span)).toFixed(1)}% of the time; ` +
      `${(bs.reduce((n, b) => n + (b.trips ?? 0), 0) / Math.max(1, bs.length)).toFixed(2)} round trips per transaction`,
  );
  const shapes = new Map<string, number>();
  for (const b of bs) {
    const k = b.steps.map((s) => s[0]).join(' > ');
    shapes.set(k, (shapes.get(k) ?? 0) + 1);
  }
  for (const [k, n] of [...shapes].sort((a, b) => b[1] - a[1]).slice(0, 3)) console.log(`  ${n} x  ${k}`);
  const [common] = [...shapes].sort((a, b) => b[1] - a[1])[0] ?? [''];
  const same = bs.filter((b) => b.steps.map((s) => s[0]).join(' > ') === common);
  const steps = same[0]?.steps.length ?? 0;
  console.log('| step | round trip (mean ms) | JavaScript before it (mean ms) |');
  console.log('|---|---:|---:|');
  for (let i = 0; i < steps; i++) {
    const rt = same.reduce((s, b) => s + (b.steps[i]?.[1] ?? 0), 0) / same.length;
    const js = same.reduce((s, b) => s + (b.steps[i]?.[2] ?? 0), 0) / same.length;
    console.log(`| ${same[0]?.steps[i]?.[0]} | ${rt.toFixed(2)} | ${i === 0 ? '' : js.toFixed(2)} |`);
  }
  console.log(`| whole transaction | ${(same.reduce((s, b) => s + b.end - b.begin, 0) / same.length).toFixed(2)} | |`);
  console.log('all queries by kind (count, mean ms):');
  for (const [k, v] of Object.entries(t.kinds)
    .sort((a, b) => b[1].n - a[1].n)
    .slice(0, 8))
    console.log(`  ${v.n}  ${(v.ms / v.n).toFixed(2)}  ${k}`);
}

console.log(`load average before: ${la()}`);
if (process.argv[4] === 'ab') {
  // Alternating runs of the pipeline off and on, with SQLite between, for their ratios under a drifting load.
  const rows: string[] = [];
  for (let i = 0; i < Number(process.argv[5] ?? 3); i++) {
    const one = await run('postgres', false, 1);
    const sq = await run('sqlite', false);
    const two = await run('postgres', false, 2);
    rows.push(
      `| ${i + 1} | ${r(sq.load.rps)} (${sq.load.cpuUs} µs) | ${r(one.load.rps)} (${one.load.cpuUs} µs) | ${r(two.load.rps)} (${two.load.cpuUs} µs) | ${(two.load.rps / one.load.rps).toFixed(2)}x | ${(two.load.rps / sq.load.rps).toFixed(2)}x |`,
    );
    console.log(rows.at(-1));
  }
  console.log(`load average after: ${la()}`);
  console.log(
    '| run | SQLite /s (CPU/request) | PostgreSQL, one batch at a time | PostgreSQL, pipelined (2) | pipelined / one | pipelined / SQLite |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  process.exit(0);
}
if (process.argv[4] === 'vs' || process.argv[4] === 'accounts') {
  // Settings alternated in one run: `vs RUNS name:K=V,K=V ...` (a name starting `sqlite` runs SQLite); per
  // run and setting, requests/s, the server's CPU and Postgres's backends' CPU per request.
  // `accounts N RUNS ...`: the same over N accounts.
  const accounts = process.argv[4] === 'accounts' ? Number(process.argv[5]) : 1;
  const at = process.argv[4] === 'accounts' ? 6 : 5;
  const specs = process.argv.slice(at + 1).map((a) => {
    const [name = '', kv = ''] = a.split(':');
    const env = Object.fromEntries(
      kv
        .split(',')
        .filter(Boolean)
        .map((x) => x.split('=') as [string, string]),
    );
    return { name, env };
  });
  const all = new Map<string, { rps: number; cpuUs?: number; pgUs?: number }[]>();
  for (let i = 0; i < Number(process.argv[at] ?? 3); i++) {
    const order = i % 2 === 0 ? specs : [...specs].reverse();
    for (const s of order) {
      const pipeline = Number(s.env.WRITER_PIPELINE ?? 1);
      const x = await run(s.name.startsWith('sqlite') ? 'sqlite' : 'postgres', false, pipeline, true, s.env, undefined, accounts);
      const l = x.load as { rps: number; cpuUs?: number; pgUs?: number };
      all.set(s.name, [...(all.get(s.name) ?? []), l]);
      console.log(`run ${i + 1} ${s.name}: ${r(l.rps)}/s, server ${l.cpuUs} µs, postgres ${l.pgUs ?? '-'} µs per request; load ${la()}`);
    }
  }
  console.log('| setting | requests/s, each run | server CPU µs/request | Postgres CPU µs/request |');
  console.log('|---|---|---|---|');
  for (const [name, ls] of all)
    console.log(
      `| ${name} | ${ls.map((l) => r(l.rps)).join(', ')} | ${ls.map((l) => l.cpuUs).join(', ')} | ${ls.map((l) => l.pgUs ?? '-').join(', ')} |`,
    );
  // Each setting's rate over the first setting's and over SQLite's, run by run.
  const [first] = specs;
  for (const [name, ls] of all) {
    const by = (base: string) => ls.map((l, i) => (l.rps / (all.get(base)?.[i]?.rps ?? Number.NaN)).toFixed(2)).join(', ');
    console.log(`${name}: / ${first?.name} ${by(first?.name ?? '')}${all.has('sqlite') ? `; / sqlite ${by('sqlite')}` : ''}`);
  }
  console.log(`load average after: ${la()}`);
  process.exit(0);
}
if (process.argv[4] === 'builds') {
  // Two builds, traced, alternated: their statements and round trips per batch (and rates, CPU per request).
  const [a, b] = [process.argv[5], process.argv[6]];
  if (!a || !b) throw new Error('usage: prof-pg-batch.ts SECONDS CONNECTIONS builds <server.mjs A> <server.mjs B> [RUNS]');
  for (let i = 0; i < Number(process.argv[7] ?? 1); i++) {
    const order: [string, string][] =
      i % 2 === 0
        ? [
            ['A', a],
            ['B', b],
          ]
        : [
            ['B', b],
            ['A', a],
          ];
    for (const [name, script] of order) {
      const x = await run('postgres', true, 1, true, {}, script);
      report(`run ${i + 1}, build ${name} (${script}), postgres ${(x.load as { pgUs?: number }).pgUs} µs CPU/request, load ${la()}`, x);
    }
  }
  process.exit(0);
}
if (process.argv[4] === 'writes') {
  // PG_PIPELINED_WRITES off (four round trips a batch) and on (two), one batch at a time, SQLite between.
  const rows: string[] = [];
  for (let i = 0; i < Number(process.argv[5] ?? 3); i++) {
    const four = await run('postgres', false, 1, false);
    const sq = await run('sqlite', false);
    const two = await run('postgres', false, 1, true);
    rows.push(
      `| ${i + 1} | ${r(sq.load.rps)} (${sq.load.cpuUs} µs) | ${r(four.load.rps)} (${four.load.cpuUs} µs) | ${r(two.load.rps)} (${two.load.cpuUs} µs) | ${(two.load.rps / four.load.rps).toFixed(2)}x | ${(four.load.rps / sq.load.rps).toFixed(2)}x | ${(two.load.rps / sq.load.rps).toFixed(2)}x |`,
    );
    console.log(rows.at(-1));
  }
  console.log(`load average after: ${la()}`);
  console.log(
    '| run | SQLite /s (CPU/request) | PostgreSQL, 4 round trips | PostgreSQL, 2 round trips | 2 / 4 | 4 / SQLite | 2 / SQLite |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  report('traced PostgreSQL, 4 round trips', await run('postgres', true, 1, false));
  report('traced PostgreSQL, 2 round trips', await run('postgres', true, 1, true));
  console.log(`load average after the traces: ${la()}`);
  process.exit(0);
}
const traced1 = await run('postgres', true, 1);
const traced2 = await run('postgres', true, 2);
const sqlite = await run('sqlite', false);
const pg1 = await run('postgres', false, 1);
const pg2 = await run('postgres', false, 2);
console.log(`load average after: ${la()}`);
const line = (x: { load: { rps: number; cpuUs?: number } }) => `${r(x.load.rps)}/s (${x.load.cpuUs} µs CPU/request)`;
console.log(
  `metered: SQLite ${line(sqlite)}; PostgreSQL one batch at a time ${line(pg1)}, ${(pg1.load.rps / sqlite.load.rps).toFixed(2)}x; ` +
    `pipelined (2) ${line(pg2)}, ${(pg2.load.rps / sqlite.load.rps).toFixed(2)}x`,
);
report('traced PostgreSQL, one batch at a time', traced1);
report('traced PostgreSQL, pipelined (2)', traced2);
