/**
 * Capacity section of `npm run bench` (issue 21, goal 5): how many service instances one
 * PostgreSQL carries.
 *
 * - The database's capacity for the writer's batches: 1, 2, 3 ... writer processes
 *   (bench/capacity-worker.ts, each a LedgerWriter of its own with no HTTP, as each instance
 *   has one) debiting random accounts of one schema together; the total debits per second
 *   at saturation is the most any number of processes got. The CPU that the writers and
 *   Postgres's backends spent per debit is measured too (/proc), since on a machine shared
 *   with other work the rates follow the CPU given, while CPU per debit is the cost.
 * - One instance's metered capacity, and two instances', come from the scale-out run
 *   (bench/http.ts scaleOutBench), with the servers' and their backends' CPU per request.
 *
 * The model and its check are written by run.ts from these figures.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { verifyLedger } from '../src/core/ledger/verify.js';
import { LedgerKey } from '../src/core/ledger/hash.js';
import type { WorkerResult } from './capacity-worker.js';
import { PG_URL, fmt, median, pgBackendCpu, pgCpuBetween, withAppName } from './common.js';
import type { ScaleLoad } from './http.js';
import { LEDGER_KEY_TEXT, ledgerSetup } from './ledger.js';

const WORKER = fileURLToPath(new URL('./capacity-worker.ts', import.meta.url));
const APP = 'credits-bench-capacity';

export interface CapacityOptions {
  seconds: number;
  runs: number;
  concurrency: number;
  accounts: number;
  /** Writer process counts to measure, e.g. [1, 2, 3]. */
  processes: number[];
  verify: boolean;
  log: (line: string) => void;
}

export interface CapacityRow {
  processes: number;
  /** Total debits per second of all processes (median of the runs). */
  rate: number;
  runs: number[];
  /** Writer processes' CPU per debit, microseconds (median). */
  writerCpuUs: number;
  /** Postgres client backends' CPU per debit, microseconds (median). */
  pgCpuUs: number;
  perCommit: number;
  refused: number;
}

export interface CapacityFigure {
  accounts: number;
  concurrency: number;
  rows: CapacityRow[];
  check: string | null;
}

interface Worker {
  ready: Promise<void>;
  result: Promise<WorkerResult>;
  /** Starts the measured run; sent again, lets the worker close. */
  go(): void;
  exited: Promise<void>;
}

function startWorker(schema: string, o: CapacityOptions): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      CAPACITY_DATABASE_URL: withAppName(PG_URL, APP),
      CAPACITY_SCHEMA: schema,
      CAPACITY_SECONDS: String(o.seconds),
      CAPACITY_CONCURRENCY: String(o.concurrency),
      CAPACITY_LEDGER_KEY: LEDGER_KEY_TEXT,
    },
  });
  const exited = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`capacity worker exited with ${code}`)))),
  );
  let readyResolve: () => void = () => {};
  let resultResolve: (r: WorkerResult) => void = () => {};
  const ready = new Promise<void>((r) => {
    readyResolve = r;
  });
  const result = new Promise<WorkerResult>((r) => {
    resultResolve = r;
  });
  child.on('message', (m) => {
    if (m === 'ready') readyResolve();
    else resultResolve(m as WorkerResult);
  });
  // A worker that dies early rejects both, so the run fails instead of hanging.
  const failed = exited.then(
    () => {
      throw new Error('capacity worker exited before reporting');
    },
    (e) => {
      throw e;
    },
  );
  return {
    ready: Promise.race([ready, failed]),
    result: Promise.race([result, failed]),
    go: () => child.send('go'),
    exited,
  };
}

/** One run: `n` writer processes started, warmed up, then measured over the same window. */
async function run(schema: string, n: number, o: CapacityOptions) {
  const workers = Array.from({ length: n }, () => startWorker(schema, o));
  await Promise.all(workers.map((w) => w.ready));
  const pg0 = await pgBackendCpu(APP);
  for (const w of workers) w.go();
  const results = await Promise.all(workers.map((w) => w.result));
  const pg1 = await pgBackendCpu(APP);
  for (const w of workers) w.go();
  await Promise.all(workers.map((w) => w.exited));
  const debits = results.reduce((s, r) => s + r.debits, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  return {
    rate: debits / seconds,
    writerCpuUs: results.reduce((s, r) => s + r.cpuUs, 0) / debits,
    pgCpuUs: (pgCpuBetween(pg0, pg1) * 1e6) / debits,
    perCommit:
      debits /
      Math.max(
        1,
        results.reduce((s, r) => s + r.batches, 0),
      ),
    refused: results.reduce((s, r) => s + r.refused, 0),
  };
}

export async function capacityBench(o: CapacityOptions): Promise<CapacityFigure> {
  const b = await ledgerSetup('postgres', o.accounts);
  const rows: CapacityRow[] = [];
  let check: string | null = null;
  try {
    const schema = b.schema as string;
    // Rotate the order of the process counts between runs, so drift hits them alike.
    const byN = new Map<number, Awaited<ReturnType<typeof run>>[]>(o.processes.map((n) => [n, []]));
    for (let r = 0; r < o.runs; r++) {
      const order = o.processes.map((_, i) => o.processes[(i + r) % o.processes.length] as number);
      for (const n of order) {
        const x = await run(schema, n, o);
        byN.get(n)?.push(x);
        o.log(
          `  capacity run ${r + 1}/${o.runs}, ${n} writer process(es): ${fmt(x.rate)} debits/s, CPU per debit: writers ${fmt(x.writerCpuUs)} µs, Postgres backends ${fmt(x.pgCpuUs)} µs, ${x.perCommit.toFixed(1)} per commit${x.refused ? `, ${x.refused} refused` : ''}`,
        );
      }
    }
    for (const n of o.processes) {
      const xs = byN.get(n) ?? [];
      rows.push({
        processes: n,
        rate: median(xs.map((x) => x.rate)),
        runs: xs.map((x) => x.rate),
        writerCpuUs: median(xs.map((x) => x.writerCpuUs)),
        pgCpuUs: median(xs.map((x) => x.pgCpuUs)),
        perCommit: median(xs.map((x) => x.perCommit)),
        refused: xs.reduce((s, x) => s + x.refused, 0),
      });
    }
    if (o.verify) {
      const started = performance.now();
      const report = await verifyLedger(b.database.db, new LedgerKey(LEDGER_KEY_TEXT));
      const usage = await sql<{ n: string }>`select count(*) as n from usage_tracking`.execute(b.database.db);
      check = `verifyLedger over everything the writer processes wrote together: ${report.ok ? 'clean' : 'VIOLATIONS'} (${report.transactions.toLocaleString('en')} ledger rows, ${Number(usage.rows[0]?.n ?? 0).toLocaleString('en')} usage rows, ${report.accounts.toLocaleString('en')} accounts, ${((performance.now() - started) / 1000).toFixed(1)} s)`;
      o.log(`  ${check}`);
      if (!report.ok) {
        console.error(report.violations.slice(0, 10).join('\n'));
        process.exitCode = 1;
      }
    }
  } finally {
    await b.dispose();
  }
  return { accounts: o.accounts, concurrency: o.concurrency, rows, check };
}

/** The model: instances one Postgres carries, and its check against the two-instance run. */
export function capacityModel(
  cap: CapacityFigure,
  scale: { one: ScaleLoad; two: ScaleLoad } | null,
  load: string,
): { target: string; markdown: string } {
  const best = cap.rows.reduce((a, b) => (b.rate > a.rate ? b : a));
  const one = scale?.one;
  const two = scale?.two;
  const n = one ? best.rate / one.rps : Number.NaN;
  // Per core: what a core of Postgres's backends does in debits/s against what a core of one
  // instance does in metered requests/s (CPU per request is what the load does not change).
  const dbCore = best.pgCpuUs > 0 ? 1e6 / best.pgCpuUs : Number.NaN;
  const instCore = one?.cpuUs ? 1e6 / one.cpuUs : Number.NaN;
  const perCore = dbCore / instCore;
  // The same with what the instance's own batches cost Postgres (smaller than the writer
  // processes' full batches at the instance's rate, so more per debit): the lower figure.
  const perCoreHttp = one?.cpuUs && one.pgCpuUs ? one.cpuUs / one.pgCpuUs : Number.NaN;
  const pgGrowth = one?.pgCpuUs && two?.pgCpuUs ? two.pgCpuUs / one.pgCpuUs : Number.NaN;
  const carried = two ? two.rps <= best.rate : false;
  const x = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
  const checks: string[] = [];
  if (two && one) {
    checks.push(
      `two instances did ${fmt(two.rps)} metered requests/s (one: ${fmt(one.rps)}/s, ${x(two.rps / one.rps, 2)}x): ${carried ? 'within' : '**above**'} the database's measured capacity of ${fmt(best.rate)} debits/s, so by the model the database was not what limited them`,
    );
    checks.push(
      `Postgres backends' CPU per metered request: ${one.pgCpuUs ?? '-'} µs with one instance, ${two.pgCpuUs ?? '-'} µs with two (${x(pgGrowth, 2)}x); the writer processes with no HTTP: ${fmt(best.pgCpuUs)} µs per debit at saturation (${best.processes} process(es)). The same load split over two writers makes batches half the size, and a commit's fixed cost is shared by fewer debits: the model's lower bound (per database core) uses what the instances' batches cost, not the full batches'`,
    );
    checks.push(
      `the instances' own CPU per request: ${one.cpuUs ?? '-'} µs (one), ${two.cpuUs ?? '-'} µs (two). The two instances share the cores of the one (and of the load generator and Postgres), so two/one (${x(two.rps / one.rps, 2)}x) measures how the machine's CPU is shared, not the database: the model predicts no gain here as long as the instances' CPU, not the database, is the limit, and a second machine's cores are what it would take to see one`,
    );
  }
  const target = `| goal 5 (model): instances one Postgres carries | writer processes' debits/s at saturation (no HTTP) / one instance's metered req/s | ${fmt(best.rate)} / ${one ? fmt(one.rps) : '-'} = ${x(n)} on this shared machine; per database core ${x(perCoreHttp)} to ${x(perCore)} instance cores | ${two && one ? `checked: two instances ${fmt(two.rps)}/s ${carried ? '<=' : '>'} ${fmt(best.rate)}/s, Postgres CPU per request two/one ${x(pgGrowth, 2)}x` : 'two-instance run not measured'} |`;
  const rows = cap.rows.map(
    (r) =>
      `| ${r.processes} | ${fmt(r.rate)} | ${r.runs.map(fmt).join(', ')} | ${fmt(r.writerCpuUs)} | ${fmt(r.pgCpuUs)} | ${r.perCommit.toFixed(1)} | ${r.refused} |`,
  );
  const markdown = `## 4b. Capacity: how many instances one PostgreSQL carries (goal 5)

Load average (1/5/15 min) at the end of this section: ${load}. The figures in requests or debits
per second follow the CPU the machine gave the bench; the CPU per debit or request is the cost.

The database's capacity for the writer's batches: N writer processes (\`bench/capacity-worker.ts\`),
each a \`LedgerWriter\` of its own with no HTTP (as each instance has one), ${cap.concurrency} debits in
flight each, debiting random ones of ${cap.accounts.toLocaleString('en')} accounts in one schema. Each debit
is what the metered route commits: a \`usage\` debit of 100 mc with its ledger row, usage row and
hourly rollup. The processes start together after a warm-up and are measured over the same window.
*Writer CPU* is the processes' own CPU per debit; *Postgres CPU* is that of their client backends
(from \`/proc\`, found by \`application_name\`; Postgres's WAL writer and checkpointer are shared with
the machine's other work and not counted).

| writer processes | debits/s (all processes) | runs | writer CPU per debit (µs) | Postgres CPU per debit (µs) | debits per commit | refused |
|---|---:|---|---:|---:|---:|---:|
${rows.join('\n')}

${cap.check ? `- ${cap.check}` : ''}

**The model.** One PostgreSQL carries *C / M* instances, where *C* is its capacity for the
writer's batches (the most debits/s any number of writer processes got: ${fmt(best.rate)}/s, with
${best.processes}) and *M* one instance's metered capacity (the scale-out run's one-instance figure:
${one ? `${fmt(one.rps)}/s` : 'not measured'}): **${x(n)} instances** on this machine, where the writers,
the instances and Postgres share the same cores, so *C* is a lower bound for a database with cores
of its own. Per core, independent of how loaded the machine is: a core of Postgres's backends
commits ${x(dbCore, 0)} debits/s (${fmt(best.pgCpuUs)} µs each), a core of one instance serves ${x(instCore, 0)}
metered requests/s (${one?.cpuUs ?? '-'} µs each), so one database core carries **${x(perCore)} instance
cores** when the batches are full (${best.perCommit.toFixed(0)} debits per commit). An instance's own batches at
the rate it was given cost Postgres ${one?.pgCpuUs ?? '-'} µs per request (the one-instance run below: fewer
debits per commit, so more per debit), which gives **${x(perCoreHttp)} instance cores per database core**: the
lower bound. A database with k cores carries about ${x(perCoreHttp)}k to ${x(perCore)}k instances of one core
each, until its WAL flush rate, not its CPU, is the limit.

**Checked against the two-instance run** (section 4):

${checks.map((c) => `- ${c}`).join('\n')}
`;
  return { target, markdown };
}
