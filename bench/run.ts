/**
 * The benchmarks: `npm run bench [-- options]` (also `credits bench [options]`); the options
 * are USAGE below (`--help` prints them).
 *
 * Builds the service first (the HTTP sections run dist/ in their own processes, as
 * `npm start` does), prints each figure as it comes and a summary, writes the markdown.
 * When the HTTP routes are profiled (bench/profile.ts), the profile summary of the run (top
 * self-time functions per route and where they live) is appended to bench/analysis.md.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { arg, cpuModel, fmt, load, median, pgQuery, postgresUp } from './common.js';
import {
  type AnalyticsFigure,
  type DurabilityFigure,
  type HttpFigure,
  type Load,
  type ScaleFigure,
  analyticsBench,
  durabilityBench,
  httpBench,
  SPREAD_ACCOUNTS,
  scaleOutBench,
} from './http.js';
import { type BatchFigure, batchBench, batchMarkdown } from './batch.js';
import { type CapacityFigure, capacityBench, capacityModel } from './capacity.js';
import { type OrgFigure, orgBench, orgMarkdown } from './org.js';
import { type GrantsFigure, grantsBench, grantsMarkdown } from './grants.js';
import { type LedgerResult, ledgerBench } from './ledger.js';
import { type RouteProfile, profileBench, profileMarkdown } from './profile.js';
import { type PgbenchFigure, pgbench, pgbenchAvailable } from './pgbench.js';

const USAGE = `npm run bench [-- options]   (also: credits bench [options])

  --quick              a smoke run: 1 run of short figures, 100,000 analytics rows
  --runs N             runs per figure, the figure is their median (default 3)
  --seconds S          length of each HTTP run (default 10)
  --ledger-seconds S   length of each ledger run (default 4)
  --connections C      HTTP connections (default 64)
  --concurrency C      ledger debits in flight (default 64)
  --accounts N         accounts of the spread shape (default 10,000)
  --rows N             usage rows of the analytics user (default 1,000,000)
  --dialect D          sqlite or postgres only (default: both)
  --writers 1,2,3      capacity: the writer process counts measured (default 1,2,3)
  --only A,B           sections: http, profile, durability, ledger, pgbench, analytics, scale, capacity, batch, org, grants
                       (default: all); \`--only http\` runs the issue-21 HTTP goals alone (bare Fastify,
                       /health/live, metered) and their CPU profiles (profile); \`--only capacity\` runs goal 5's
                       model (writer processes on one Postgres, with the scale-out run that checks it)
  --no-profile         with http: skip the CPU profiles (and their entry in bench/analysis.md)
  --no-verify          skip \`verifyLedger\` over what the ledger runs wrote
  --out FILE           where to write the markdown (default bench/results.md)`;

const args = process.argv.slice(2);
// A flag this script does not know is refused before anything runs: `credits bench --help`
// or a mistyped option used to start a full run, rebuild dist/ and rewrite results.md.
{
  const valued = new Set([
    '--runs',
    '--seconds',
    '--ledger-seconds',
    '--connections',
    '--concurrency',
    '--accounts',
    '--rows',
    '--dialect',
    '--writers',
    '--only',
    '--out',
  ]);
  const bare = new Set(['--quick', '--no-profile', '--no-verify']);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (bare.has(a)) continue;
    if (valued.has(a) && i + 1 < args.length && !(args[i + 1] as string).startsWith('--')) {
      i++;
      continue;
    }
    console.error(`bench: ${valued.has(a) ? `${a} needs a value` : `unknown option ${a}`}.\n\n${USAGE}`);
    process.exit(2);
  }
}
const quick = args.includes('--quick');
const RUNS = Number(arg('runs') ?? (quick ? 1 : 3));
const SECONDS = Number(arg('seconds') ?? (quick ? 3 : 10));
const LEDGER_SECONDS = Number(arg('ledger-seconds') ?? (quick ? 1.5 : 4));
const CONNECTIONS = Number(arg('connections') ?? 64);
const CONCURRENCY = Number(arg('concurrency') ?? 64);
const ACCOUNTS = Number(arg('accounts') ?? 10_000);
const ROWS = Number(arg('rows') ?? (quick ? 100_000 : 1_000_000));
const OUT = resolve(arg('out') ?? new URL('./results.md', import.meta.url).pathname);
const WRITERS = (arg('writers') ?? '1,2,3').split(',').map(Number);
const SECTIONS = new Set((arg('only') ?? 'http,durability,ledger,pgbench,analytics,scale,capacity,batch,org,grants').split(','));
// The HTTP goals come with their profiles unless told otherwise.
if (SECTIONS.has('http') && !args.includes('--no-profile')) SECTIONS.add('profile');
const only = arg('dialect') as Dialect | undefined;

const log = (line: string) => console.log(line);
const loadBefore = load();
const startedAt = new Date();

log('building the service (npm run build) ...');
execFileSync('npm', ['run', 'build'], { stdio: 'inherit', cwd: new URL('..', import.meta.url).pathname });

const pgUp = await postgresUp();
const dialects = (only ? [only] : (['sqlite', 'postgres'] as Dialect[])).filter((d) => {
  if (d === 'postgres' && !pgUp) log('postgres does not answer: its figures are skipped');
  return d === 'sqlite' || pgUp;
});
const pgInfo = pgUp
  ? (
      await pgQuery(
        `select current_setting('server_version') as v, current_setting('synchronous_commit') as sc, current_setting('wal_sync_method') as ws, current_setting('shared_buffers') as sb`,
      )
    ).rows[0]
  : null;
const opts = { seconds: SECONDS, runs: RUNS, connections: CONNECTIONS, log };

const http: HttpFigure[] = [];
const durability: DurabilityFigure[] = [];
const analytics: AnalyticsFigure[] = [];
let scale: ScaleFigure | null = null;
let capacity: CapacityFigure | null = null;
let capacityLoad = '';
let ledger: LedgerResult | null = null;
let pgb: PgbenchFigure[] | null = null;
const batch: BatchFigure[] = [];
const org: OrgFigure[] = [];
const grants: GrantsFigure[] = [];

if (SECTIONS.has('http')) {
  log(
    `\nHTTP: bare Fastify vs GET /health/live vs metered POST /api/messages, then the metered route at half capacity, ${CONNECTIONS} connections, ${RUNS} x ${SECONDS} s`,
  );
  for (const d of dialects) http.push(await httpBench(d, opts));
}
const profiles: RouteProfile[] = [];
if (SECTIONS.has('profile')) {
  log(
    `\nProfiles: bare Fastify, GET /health/live, the metered route and the floor's under node --cpu-prof, ${CONNECTIONS} connections, ${SECONDS} s each`,
  );
  for (const d of dialects) profiles.push(...(await profileBench(d, { seconds: SECONDS, connections: CONNECTIONS, log })));
}
if (SECTIONS.has('durability')) {
  log('\nDurability: the metered route under each setting');
  for (const d of dialects) durability.push(...(await durabilityBench(d, opts)));
}
if (SECTIONS.has('ledger')) {
  log(`\nLedger: writer vs naive loop, ${CONCURRENCY} in flight, ${RUNS} x ${LEDGER_SECONDS} s`);
  ledger = await ledgerBench({
    seconds: LEDGER_SECONDS,
    runs: RUNS,
    concurrency: CONCURRENCY,
    accounts: ACCOUNTS,
    verify: !args.includes('--no-verify'),
    dialects,
  });
}
if (SECTIONS.has('pgbench') && dialects.includes('postgres')) {
  if (pgbenchAvailable()) {
    log(`\npgbench: naive SQL baseline, ${CONCURRENCY} clients, ${RUNS} x ${Math.round(LEDGER_SECONDS)} s`);
    pgb = await pgbench({ seconds: LEDGER_SECONDS, runs: RUNS, clients: CONCURRENCY, accounts: ACCOUNTS, log });
  } else log('pgbench is not installed: its baseline is skipped');
}
if (SECTIONS.has('analytics')) {
  log(`\nAnalytics: GET /api/credits/usage over 90 days for a user with ${ROWS.toLocaleString('en')} usage rows`);
  for (const d of dialects) analytics.push(await analyticsBench(d, ROWS, opts));
}
if (SECTIONS.has('scale') && dialects.includes('postgres')) {
  log(`\nScale-out: two instances on one Postgres vs one, ${CONNECTIONS} connections over 8 users`);
  scale = await scaleOutBench(opts);
}
if (SECTIONS.has('capacity') && dialects.includes('postgres')) {
  log(
    `\nCapacity: ${WRITERS.join(', ')} writer process(es) on one Postgres, no HTTP, ${CONCURRENCY} in flight each, ${ACCOUNTS.toLocaleString('en')} accounts, ${RUNS} x ${LEDGER_SECONDS} s`,
  );
  capacity = await capacityBench({
    seconds: LEDGER_SECONDS,
    runs: RUNS,
    concurrency: CONCURRENCY,
    accounts: ACCOUNTS,
    processes: WRITERS,
    verify: !args.includes('--no-verify'),
    log,
  });
  if (!scale) {
    log(`\nScale-out (the capacity model's check): two instances on one Postgres vs one, ${CONNECTIONS} connections over 8 users`);
    scale = await scaleOutBench(opts);
  }
  capacityLoad = load();
}
if (SECTIONS.has('batch')) {
  log(`\nService API: 10,000 events as 10 batches of 1,000 vs 10,000 single requests over ${CONNECTIONS} connections, ${RUNS} run(s)`);
  for (const d of dialects) batch.push(await batchBench(d, { runs: RUNS, connections: CONNECTIONS, log }));
}

if (SECTIONS.has('org')) {
  log(
    `\nOrganisations: metered POST /api/messages with X-Account of an organisation (member limit set) vs personal, ${RUNS} x ${SECONDS} s`,
  );
  for (const d of dialects) org.push(await orgBench(d, opts));
}
if (SECTIONS.has('grants')) {
  log(`\nGrants: the metered route and the writer, accounts holding 1 grant vs 20, ${RUNS} run(s)`);
  const accounts = Math.min(ACCOUNTS, quick ? 50 : 200);
  for (const d of dialects) {
    grants.push(await grantsBench(d, { ...opts, ledgerSeconds: LEDGER_SECONDS, concurrency: CONCURRENCY, accounts }));
  }
}

// ---- report ---------------------------------------------------------------------------

const targets: string[] = [];
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
/** A goal's verdict beside its floor's (bench/floor-metered.mjs): a miss says when the floor misses too. */
const verdictBeside = (ok: boolean, floorMisses: boolean, floor = 'the floor misses') =>
  ok || !floorMisses ? verdict(ok) : `**not met**; ${floor} it too`;
const ms = (x: number) => `${x}`;

const sections: string[] = [];
if (http.length) {
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const cpu = (l: { cpuUs?: number }) => (l.cpuUs === undefined ? '-' : String(l.cpuUs));
  const row = (d: string, route: string, l: (typeof http)[number]['bare'], bare: (typeof http)[number]['bare'] | null) =>
    `| ${d} | ${route} | ${fmt(l.rps)} | ${ms(l.p50)} | ${ms(l.p99)} | ${l.bad} | ${cpu(l)} | ${bare ? x(l.rps, bare.rps) : ''} | ${bare && l.cpuUs && bare.cpuUs ? x(bare.cpuUs, l.cpuUs) : ''} |`;
  const rows = http.flatMap((r) => [
    row(r.dialect, 'bare Fastify `GET /` (bench/bare.mjs)', r.bare, null),
    row(r.dialect, 'service `GET /health/live`', r.live, r.bare),
    row(r.dialect, 'the same through the router (`?via=fastify`)', r.routed, r.bare),
    row(r.dialect, 'metered `POST /api/messages`', r.metered, r.bare),
    row(r.dialect, `metered, load over ${SPREAD_ACCOUNTS} accounts`, r.spread, r.bare),
    row(r.dialect, "the floor: the contract's rows, durable, and nothing of ours (bench/floor-metered.mjs)", r.floor.capacity, r.bare),
  ]);
  for (const r of http) {
    // Each run's pair (bare and the route back to back), the median of their ratios.
    const { rps: ratio, cpu, runs } = r.liveRatio;
    const byRun = runs.map((p) => `${p.rps.toFixed(2)}x${p.cpu === undefined ? '' : ` / ${p.cpu.toFixed(2)}x`}`).join(', ');
    const cpuRatio = cpu === undefined ? '' : ` (CPU per request: ${cpu.toFixed(2)}x)`;
    // Met only when the CPU per request agrees: on a loaded machine autocannon itself is
    // often the limit, and both processes then answer what it sends whatever they cost.
    const cpuOk = cpu === undefined || cpu >= 0.9;
    targets.push(
      `| goal 1: \`GET /health/live\`, ${r.dialect} | >= 0.9x bare Fastify (${fmt(r.bare.rps)}/s), requests/s and CPU per request, median of each run's pair | ${ratio.toFixed(2)}x${cpuRatio}; by run ${byRun} | ${verdict(ratio >= 0.9 && cpuOk)} |`,
    );
  }
  const sq = http.find((r) => r.dialect === 'sqlite');
  const pg = http.find((r) => r.dialect === 'postgres');
  if (sq) {
    const ratio = sq.metered.rps / sq.bare.rps;
    // The floor (the rows the contract has a debit write, durable, and none of our code) against
    // the same bare runs: what the database's work and the HTTP stack leave for any metered
    // route on this machine.
    const floor = sq.floor.capacity.rps / sq.bare.rps;
    targets.push(
      `| goal 2: metered, sqlite | >= 0.5x bare Fastify (${fmt(sq.bare.rps)}/s) | ${ratio.toFixed(2)}x; the floor ${floor.toFixed(2)}x | ${verdictBeside(ratio >= 0.5, floor < 0.5)} |`,
    );
  }
  if (sq && pg) {
    const ratio = pg.metered.rps / sq.metered.rps;
    // The two floors' ratio: PostgreSQL's work on the contract's rows against SQLite's, with nothing of ours.
    const floors = pg.floor.capacity.rps / sq.floor.capacity.rps;
    targets.push(
      `| goal 3: metered, postgres vs sqlite | >= 0.8x metered sqlite (${fmt(sq.metered.rps)}/s) | ${ratio.toFixed(2)}x; the floors ${floors.toFixed(2)}x | ${verdictBeside(ratio >= 0.8, floors < 0.8, 'the floors miss')} |`,
    );
    // The issue's figure is one account's load (every batch locks the same row); a
    // platform's load is many accounts', reported beside it.
    const spread = pg.spread.rps / sq.spread.rps;
    targets.push(
      `| goal 3, load over ${SPREAD_ACCOUNTS} accounts: metered, postgres vs sqlite | >= 0.8x metered sqlite over ${SPREAD_ACCOUNTS} accounts (${fmt(sq.spread.rps)}/s) | ${spread.toFixed(2)}x | ${verdict(spread >= 0.8)} |`,
    );
  }
  for (const r of http) {
    // Beside it the floor at half its own capacity: a process that does nothing but Fastify and
    // the durable debit's rows. Where that misses 10 ms too, the goal is below this machine's floor.
    const f = r.floor;
    const floorNote = `; the floor: p99 ${f.half.p99} ms at half its capacity (${fmt(f.half.rate)}/s), ${f.atServiceRate.p99} ms at ${fmt(r.half.rate)}/s`;
    targets.push(
      `| goal 4: metered p99 at half capacity, ${r.dialect} | < 10 ms at ${fmt(r.half.rate)}/s | ${r.half.p99} ms (p50 ${r.half.p50} ms, ${fmt(r.half.rps)}/s done)${floorNote} | ${verdictBeside(r.half.p99 < 10, f.half.p99 >= 10)} |`,
    );
  }
  for (const r of http) {
    targets.push(`| RSS under load, ${r.dialect} | < 200 MB | ${r.rssMb} MB | ${verdict(r.rssMb < 200)} |`);
    const start = median(r.startMs);
    targets.push(
      `| start to ready, ${r.dialect} | < 2 s | ${(start / 1000).toFixed(2)} s (median of ${r.startMs.length}) | ${verdict(start < 2000)} |`,
    );
  }
  sections.push(`## 1. HTTP: the service against a bare Fastify process (goals 1 to 4)

${RUNS} run(s) of ${SECONDS} s per figure (median), ${CONNECTIONS} connections, after a 2 s warm-up of each route;
each run measures bare Fastify and \`GET /health/live\` as a pair, back to back (their order reversed
from run to run), then the other four (the floor among them) back to back in rotating order; goal 1 is the median of each
run's own ratio, the table's ratio columns compare medians. Run only this section with
\`npm run bench -- --only http\` (add \`--dialect sqlite\`, \`--runs 1 --seconds 5\` to iterate).

- **bare Fastify**: \`bench/bare.mjs\`, Fastify with no plugins, hooks or logger answering \`GET /\` with
  \`{"hello":"world"}\` in a process of its own: the limit of the HTTP stack on this machine.
- **the service**: \`bench/server.mjs\`, the built service (\`dist/\`, as \`npm start\` runs it) in its own
  process, logging one line per request at \`info\` (to a file). \`GET /health/live\` is measured on a
  server process and database of its own, started fresh for it and never given a sign-up or the
  metered load (what a user of a fresh server gets, as bare Fastify is a fresh process); the metered
  route runs on another (until 3 December both ran on one process, the metered runs between the
  \`/health/live\` runs; bench/analysis.md, "Why /health/live cost more inside the bench").
  \`GET /health/live\` is answered by Node's HTTP server before Fastify routes it
  (\`src/server/live-probe.ts\`, since 5 December): its headers, request id, request line and histogram,
  nothing else. The row after it is the same route through Fastify's pipeline (a query string sends it
  there): the router, the request and reply objects and the app's hook, which every other route pays.
- autocannon runs in the bench process. *CPU/request* is the server process's user + system CPU
  (from \`/proc\`, all its threads) over the run divided by the requests it answered: on a machine shared with
  other work, requests per second follow the CPU the server is given, while CPU per request is
  what our code costs; *CPU ratio* is bare's CPU per request over the route's (the capacity
  ratio if each had a core of its own). It is a figure at saturation: a server that waits between
  requests pays the event loop's wake-up for each one, and its CPU per request is 2 to 3 times
  higher (2,000 requests/s: bare Fastify 31-51 µs, \`/health/live\` 42-76 µs, against 14-18 and 19-25
  saturated), so a run where the load generator, not the server, is the limit inflates it. The
  run lines printed as the section goes give each figure's share on the server's main thread (the event
  loop); the rest is its other threads (V8's GC helpers, libuv's pool writing the log, workers).

| database | route | requests/s | p50 (ms) | p99 (ms) | errors + non-2xx | CPU/request (µs) | / bare (requests/s) | / bare (CPU ratio) |
|---|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

The metered route does everything a paying request does: verifies the JWT, validates the body,
prices the message, and commits the debit with its ledger row, usage row and hourly rollup through
the group-commit writer, durably, before answering 201. The first metered row is one account's load
(every connection the same user, so every batch debits one account row: the issue's figure); the
second spreads the same ${CONNECTIONS} connections over ${SPREAD_ACCOUNTS} funded accounts on the same server (connection
*i* sends as account *i* mod ${SPREAD_ACCOUNTS}), as a platform's traffic comes. On PostgreSQL one account's
batches queue on its row's lock, each waiting for the previous one's commit; many accounts' do not.

Goal 4, the metered route at half its capacity: an open loop (bench/open-loop.ts) at half the
metered requests/s above, the requests evenly spaced and each one's latency counted from when it was due
(the p99 is service time plus the queueing of a half-loaded server; until 2 December it was autocannon's
\`overallRate\`, which sends each second's quota back to back, saturation for part of every second).

Beside it, the floor (\`bench/floor-metered.mjs\` and \`bench/floor-rows.mjs\`, its capacity in the table
above): bare Fastify whose \`POST /api/messages\` parses the body and commits one debit through a group
commit like the ledger writer's, writing the rows the service writes for a metered message in the
service's own schema (the ledger row, the grant's movement and the usage row a debit; the balance, the
grant and the hour's rollup a batch; the service's ids), answering once it is durable, with none of the
service's own code (on SQLite the service's own \`openDatabase\`: \`synchronous=FULL\`, the WAL's fdatasync
off the loop, the checkpoint worker; on PostgreSQL two round trips a batch, as the writer's).
It runs at half its own capacity (what goal 4 asks of a process that costs only Fastify, the kernel
and the database's work) and at the service's rate; the three open loops alternate run by run.
Where the floor misses 10 ms at half its capacity, goal 4 asks for less than this machine gives any
durable metered route; at the service's rate it shows what the service's own work adds
(bench/analysis.md, "Goal 4's floor" and "The floor with the contract's rows"). Goals 2 and 3 print the
floor's ratios beside theirs: its capacity against bare Fastify's (goal 2), and PostgreSQL's floor
against SQLite's (goal 3).

| database | process | rate asked (req/s) | done (req/s) | p50 (ms) | p99 (ms) | errors + non-2xx | CPU/request (µs) |
|---|---|---:|---:|---:|---:|---:|---:|
${http
  .flatMap((r): [string, string, Load & { rate: number }][] => [
    [r.dialect, 'the service', r.half],
    [r.dialect, 'the floor, half its capacity', r.floor.half],
    [r.dialect, "the floor, the service's rate", { ...r.floor.atServiceRate, rate: r.half.rate }],
  ])
  .map(([d, name, x]) => `| ${d} | ${name} | ${fmt(x.rate)} | ${fmt(x.rps)} | ${x.p50} | ${x.p99} | ${x.bad} | ${x.cpuUs ?? '-'} |`)
  .join('\n')}

The floor's batches from BEGIN to durable, p99 in each of its runs at half its capacity (ms): ${http.map((r) => `${r.dialect} ${r.floor.batchP99.join(', ')}`).join('; ')}.

## 5. Memory and start

| database | server RSS under the metered load (max of 1 s samples) | spawn to ready (ms, each start) |
|---|---:|---|
${http.map((r) => `| ${r.dialect} | ${r.rssMb} MB | ${r.startMs.map((x) => Math.round(x)).join(', ')} |`).join('\n')}

Start: from spawning \`node bench/server.mjs\` to its ready line (listening, migrations checked,
seed checked); the first start creates the database, the others open it.`);
}
if (durability.length) {
  const base = new Map<Dialect, number>();
  for (const d of durability) if (!base.has(d.dialect)) base.set(d.dialect, d.metered.rps);
  sections.push(`## Durability settings (metered route)

| database | setting | requests/s | p50 (ms) | p99 (ms) | vs default |
|---|---|---:|---:|---:|---:|
${durability.map((d) => `| ${d.dialect} | ${d.setting} | ${fmt(d.metered.rps)} | ${d.metered.p50} | ${d.metered.p99} | ${(d.metered.rps / (base.get(d.dialect) as number)).toFixed(2)}x |`).join('\n')}

What each means for an acknowledged debit is in docs/durability.md. The defaults lose nothing
acknowledged on a crash of the process, of PostgreSQL or of the machine.`);
}
if (ledger) {
  for (const r of ledger.rows.filter((x) => x.dialect === 'postgres')) {
    targets.push(
      `| ledger Postgres, ${r.shape} | writer >= 5x naive | ${(r.writer / r.naive).toFixed(1)}x | ${verdict(r.writer / r.naive >= 5)} |`,
    );
  }
  sections.push(`${ledger.markdown.replace('## Ledger:', '## 2. Ledger:')}`);
}
if (pgb && ledger) {
  const lines = pgb.map((p) => {
    const w = ledger?.rows.find(
      (r) => r.dialect === 'postgres' && (p.shape === 'hot' ? r.shape === 'one hot account' : r.shape !== 'one hot account'),
    );
    const tps = median(p.tps);
    return `| ${p.shape === 'hot' ? 'one hot account' : `${ACCOUNTS.toLocaleString('en')} accounts`} | ${fmt(tps)} | ${p.tps.map(fmt).join(', ')} | ${w ? fmt(w.writer) : '-'} | ${w ? `${(w.writer / tps).toFixed(1)}x` : '-'} |`;
  });
  sections.push(`## 2b. Ledger vs a naive SQL baseline driven by pgbench

| accounts | pgbench (tps = debits/s) | runs | our writer (debits/s, section 2) | writer / pgbench |
|---|---:|---|---:|---:|
${lines.join('\n')}

pgbench (C, ${CONCURRENCY} clients, \`-M prepared\`, 2 threads) runs \`BEGIN; UPDATE pgb_accounts SET balance =
balance - 100 WHERE id = :id AND balance >= 100 RETURNING balance; INSERT INTO pgb_ledger ...; END;\` on
lean tables of its own (no hash chain, no usage rows, a bigserial key): the cost of one durable
transaction per debit with no client overhead at all. See bench/pgbench.ts.`);
}
if (analytics.length) {
  for (const a of analytics) {
    targets.push(
      `| analytics ${a.dialect} (${a.rows.toLocaleString('en')} rows) | p50 < 20 ms | ${a.endpoint.p50} ms | ${verdict(a.endpoint.p50 < 20)} |`,
    );
  }
  sections.push(`## 3. Analytics: usage report over 90 days

| database | usage rows | GET /api/credits/usage p50 (ms) | p99 (ms) | requests | same report from raw rows, p50 (ms) | raw / endpoint |
|---|---:|---:|---:|---:|---:|---:|
${analytics.map((a) => `| ${a.dialect} | ${a.rows.toLocaleString('en')} | ${a.endpoint.p50} | ${a.endpoint.p99} | ${a.endpoint.n} | ${a.raw.p50} | ${(a.raw.p50 / a.endpoint.p50).toFixed(0)}x |`).join('\n')}

One user with that many usage rows spread evenly over 90 days (four operations), their hourly
rollups built from them; the report (\`?from=&to=&granularity=day\`, totals, 90 daily buckets and
per-operation sums) is requested one at a time over HTTP with the user's token. The endpoint reads
the hourly rollups (at most 2,160 rows per operation); the baseline is the same aggregation over the
raw usage rows, measured as a SQL query alone (no HTTP).`);
}
if (scale) {
  const ratio = scale.two.rps / scale.one.rps;
  targets.push(`| goal 5 (old form): scale-out, Postgres | two instances >= 1.6x one | ${ratio.toFixed(2)}x | ${verdict(ratio >= 1.6)} |`);
  sections.push(`## 4. Scale-out: two instances on one PostgreSQL

| instances | requests/s | p50 (ms) | p99 (ms) | errors + non-2xx | instances' CPU per request (µs) | Postgres backends' CPU per request (µs) |
|---|---:|---:|---:|---:|---:|---:|
| one | ${fmt(scale.one.rps)} | ${scale.one.p50} | ${scale.one.p99} | ${scale.one.bad} | ${scale.one.cpuUs ?? '-'} | ${scale.one.pgCpuUs ?? '-'} |
| two | ${fmt(scale.two.rps)} | ${scale.two.p50} | ${scale.two.p99} | ${scale.two.bad} | ${scale.two.cpuUs ?? '-'} | ${scale.two.pgCpuUs ?? '-'} |

Two / one: **${ratio.toFixed(2)}x**. The same ${CONNECTIONS} connections sending metered messages for 8 users,
all to one instance or split over two (each instance its own process, writer and pool of 10).
Both instances run on the same cores as the load generator and PostgreSQL, so two cannot beat
one here; section 4b's model says how many one database carries.`);
}
if (capacity) {
  // Goal 5's model: how many instances one PostgreSQL carries, checked against the scale-out run.
  const model = capacityModel(capacity, scale, capacityLoad);
  targets.push(model.target);
  sections.push(model.markdown);
}
if (batch.length) {
  for (const f of batch) {
    const ratio = median(f.batch) / median(f.single);
    targets.push(`| batch ingestion ${f.dialect} | batches >= 5x single events/s | ${ratio.toFixed(1)}x | ${verdict(ratio >= 5)} |`);
  }
  sections.push(batchMarkdown(batch));
}
if (grants.length) {
  for (const f of grants) {
    const h = f.http.twenty.rps / f.http.one.rps;
    const w = f.writer.twenty / f.writer.one;
    targets.push(`| 7. grants HTTP ${f.dialect} | 20 grants >= 0.8x 1 grant | ${h.toFixed(2)}x | ${verdict(h >= 0.8)} |`);
    targets.push(`| 7. grants writer ${f.dialect} | 20 grants >= 0.8x 1 grant | ${w.toFixed(2)}x | ${verdict(w >= 0.8)} |`);
  }
  sections.push(
    grantsMarkdown(grants, {
      runs: RUNS,
      seconds: SECONDS,
      ledgerSeconds: LEDGER_SECONDS,
      connections: CONNECTIONS,
      concurrency: CONCURRENCY,
      accounts: Math.min(ACCOUNTS, quick ? 50 : 200),
    }),
  );
}

if (org.length) {
  for (const f of org) {
    targets.push(
      `| 7. organisation member ${f.dialect} | member with a limit >= 0.85x personal | ${f.ratio.toFixed(2)}x | ${verdict(f.ratio >= 0.85)} |`,
    );
  }
  sections.push(orgMarkdown(org, RUNS, SECONDS, CONNECTIONS));
}

// The issue asks each run to leave its profile in the analysis (appended, newest last);
// results.md below carries it too.
if (profiles.length) {
  const analysis = new URL('./analysis.md', import.meta.url).pathname;
  appendFileSync(
    analysis,
    `\n${profileMarkdown(profiles, startedAt.toISOString(), `${loadBefore} before, ${load()} after`, SECONDS, CONNECTIONS)}`,
  );
  console.log(`profile summary appended to ${analysis}`);
}

const summary = `| figure | target | measured | |
|---|---|---|---|
${targets.join('\n')}`;
const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
const md = `# Benchmark results

Command: \`${command}\`

- Machine: ${cpus().length} x ${cpuModel()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Node ${process.version}.
- SQLite: WAL, synchronous=FULL unless stated. ${pgInfo ? `PostgreSQL ${pgInfo.v} on the same machine (synchronous_commit=${pgInfo.sc}, wal_sync_method=${pgInfo.ws}, shared_buffers=${pgInfo.sb}).` : 'PostgreSQL not measured.'}
- Run at ${startedAt.toISOString()}; load average (1/5/15 min) ${loadBefore} before, ${load()} after.
  Server, load generator and PostgreSQL share the machine's ${cpus().length} cores, which caps every figure.
- Each figure is the median of ${RUNS} run(s); ratios compare figures from the same run.

## Targets

${summary}

${sections.join('\n\n')}

${readFileSync(new URL('./analysis.md', import.meta.url), 'utf8')}`;
console.log(`\n${summary}\n`);
writeFileSync(OUT, md);
console.log(`written ${OUT}`);
