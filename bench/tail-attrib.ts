/**
 * What the slowest 1% of metered requests waited on (issue 21, goal 4): `npx tsx
 * bench/tail-attrib.ts [--dialect sqlite|postgres] [--rate N] [--seconds S] [--rounds R]
 * [--env K=V,...] [--server path/to/server.mjs] [--untraced | --untraced-only]
 * [--b-env K=V,... | --b-server path]`.
 *
 * Each round runs, alternated, the same open loop (bench/open-loop.ts: evenly spaced, each
 * latency counted from when the request was due) at `--rate` against
 *
 * - the bare Fastify process (bench/bare.mjs, `GET /`): the floor of this machine, its load
 *   generator and Node's HTTP stack at that rate (a p99 goal cannot beat it), and
 * - the service's metered `POST /api/messages`, traced (BENCH_TRACE=2,
 *   bench/trace-requests.mjs): every request's timeline in the server on the monotonic
 *   clock both processes share, joined with the generator's by the `x-bench-seq` header.
 *
 * It prints the percentiles of both, then for all requests and for the slowest 1% the mean of
 * each part of a request's time: the generator late in sending (gen), the way in (kernel and a
 * busy server loop, to the 'request' event), the handler before the writer (auth, validation,
 * pricing), the wait for the writer (a batch in flight), the batch on the event loop (BEGIN to
 * COMMIT), the WAL's sync off the loop, the hand-out and the reply, and the way back to the
 * generator; and how many of the slowest 1% overlapped a GC pause or an event-loop stall.
 *
 * `--untraced-only` runs the service untraced (with `--b-env`/`--b-server`, B untraced too,
 * alternated with A), with the writer's batches and their mean size from /metrics.
 *
 * On a machine loaded by other work, `chrt -f 10 npx tsx bench/tail-attrib.ts ...` keeps the
 * other processes' CPU from preempting the generator and the servers (PostgreSQL is not
 * raised). Only at a rate the server can carry: a real-time process that falls behind takes
 * the cores from everything else (a run is cut off after 3x its length, `maxMs`).
 */
import { readFileSync } from 'node:fs';
import type { Dialect } from '../src/db/open.js';
import { arg, load, median } from './common.js';
import { benchDb, cpuSeconds, fundedUser, meteredRequest, setupFetch, startServerProc } from './http.js';
import { type OpenLoopSample, openLoop } from './open-loop.js';

const args = process.argv.slice(2);
const dialect = (arg('dialect') ?? 'sqlite') as Dialect;
const rate = Number(arg('rate') ?? (dialect === 'sqlite' ? 2490 : 1599));
const seconds = Number(arg('seconds') ?? 8);
const rounds = Number(arg('rounds') ?? 3);
// A run that falls this far behind is cut off (its unanswered requests count as failed).
const maxMs = seconds * 3000 + 10_000;
const extraEnv = Object.fromEntries(
  (arg('env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const BARE = new URL('./bare.mjs', import.meta.url).pathname;

interface Req {
  req: number;
  fin?: number;
  sub?: number;
  res?: number;
  b?: number;
}
interface Batch {
  id: number;
  start: number;
  end?: number;
  begun?: number;
  commit?: number;
  synced?: number;
  size: number;
}
interface Trace {
  reqs: Record<string, Req>;
  batches: Batch[];
  gcs: { start: number; ms: number; kind: number }[];
  stalls: { start: number; ms: number }[];
  walRestarts: number[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
/** This process's CPU seconds (the load generator). */
const genCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** The kernel's part (stime) of a process's main thread, seconds (/proc, Linux), or NaN. */
const kernelSeconds = (pid: number | undefined) => {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / 100;
  } catch {
    return Number.NaN;
  }
};
/** CPU seconds over a run's length, as a share of one core. */
const cores = (cpuS: number, run: { samples: OpenLoopSample[]; rps: number }) => f2(cpuS / (run.samples.length / run.rps));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const envOf = (v: string | undefined) =>
  Object.fromEntries(
    (v ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
interface Service {
  name: string;
  traced: boolean;
  proc: Awaited<ReturnType<typeof startServerProc>>;
  db: Awaited<ReturnType<typeof benchDb>>;
  req: { method: string; headers: Record<string, string>; body: string };
}
const PARTS = ['gen', 'conn', 'in', 'handler', 'queue', 'lock', 'batch', 'sync', 'handout', 'reply', 'back'] as const;
type Part = (typeof PARTS)[number];
const table: string[] = [];

const db = await benchDb(dialect);
const bare = await startServerProc(db, {}, BARE);
// A: this build (or --server), traced; B (--b-server and/or --b-env): another, traced, for an
// A/B in one run; --untraced: A without the trace too (what the trace itself costs).
const specs: { name: string; traced: boolean; script: string | undefined; env: Record<string, string> }[] = [
  { name: 'A', traced: true, script: arg('server'), env: extraEnv },
];
if (arg('b-server') || arg('b-env'))
  specs.push({ name: 'B', traced: true, script: arg('b-server') ?? arg('server'), env: envOf(arg('b-env')) });
if (args.includes('--untraced')) specs.push({ name: 'A untraced', traced: false, script: arg('server'), env: extraEnv });
// --untraced-only: A without the trace alone (its p99 and CPU against bare's, quicker).
// With --b-server/--b-env, B untraced too, alternated with A (an A/B of two settings untraced).
if (args.includes('--untraced-only')) {
  specs.splice(0, specs.length, { name: 'A untraced', traced: false, script: arg('server'), env: extraEnv });
  if (arg('b-server') || arg('b-env'))
    specs.push({ name: 'B untraced', traced: false, script: arg('b-server') ?? arg('server'), env: envOf(arg('b-env')) });
}
const METRICS_TOKEN = 'tail-attrib-metrics-token';
/** The writer's batches and ops so far (its batch-size histogram, from /metrics). */
async function writerCounts(url: string): Promise<{ batches: number; ops: number }> {
  const text = await (await setupFetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return {
    batches: Number(/^ledger_writer_batch_size_count (\d+)/m.exec(text)?.[1] ?? Number.NaN),
    ops: Number(/^ledger_writer_batch_size_sum (\d+)/m.exec(text)?.[1] ?? Number.NaN),
  };
}
const services: Service[] = [];
try {
  for (const spec of specs) {
    const sdb = await benchDb(dialect);
    const proc = await startServerProc(sdb, { METRICS_TOKEN, ...(spec.traced ? { BENCH_TRACE: '2' } : {}), ...spec.env }, spec.script);
    const { token } = await fundedUser(proc.url, `tail-${dialect}@example.com`, 500_000_000);
    const m = meteredRequest(token);
    services.push({
      ...spec,
      proc,
      db: sdb,
      req: { method: 'POST', headers: m.headers as Record<string, string>, body: m.body as string },
    });
  }
  // Warm each (JIT, connections, the WAL's first 16 MB), then drop the warm-up's trace.
  await openLoop(`${bare.url}/`, rate, 3, {}, { maxMs: 20_000 });
  for (const sv of services) {
    await openLoop(`${sv.proc.url}/api/messages`, rate, 4, sv.req, { maxMs: 20_000 });
    if (sv.traced) await setupFetch(`${sv.proc.url}/bench/trace`);
  }
  console.log(
    `${dialect}, open loop at ${rate}/s for ${seconds} s, ${rounds} round(s), services ${specs.map((x) => `${x.name} ${x.script ?? 'this build'} ${JSON.stringify(x.env)}`).join('; ')}, load ${load()}`,
  );
  for (let round = 0; round < rounds; round++) {
    const kinds: (Service | 'bare')[] = ['bare', ...services];
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length] as Service | 'bare');
    for (const which of order) {
      if (which === 'bare') {
        const c0 = cpuSeconds(bare.child.pid);
        const g0 = genCpu();
        const run = await openLoop(`${bare.url}/`, rate, seconds, {}, { trace: true, maxMs });
        const cpu = ((cpuSeconds(bare.child.pid) - c0) * 1e6) / run.samples.length;
        const gen0 = genCpu() - g0;
        const gen = run.samples.map((s) => ((s.sentUs as number) - (s.dueUs as number)) / 1000);
        const ms = run.samples.map((s) => s.ms);
        console.log(
          `round ${round + 1} bare: p50 ${f1(run.p50)} p90 ${f1(pct(ms, 90))} p99 ${f1(run.p99)} p99.9 ${f1(pct(ms, 99.9))} ms, ${run.bad} bad, ${Math.round(run.rps)}/s, CPU ${Math.round(cpu)} µs/req; generator ${cores(gen0, run)} of a core, late p50 ${f2(pct(gen, 50))} p99 ${f2(pct(gen, 99))} ms; load ${load()}`,
        );
        table.push(`| ${round + 1} | bare | ${f1(run.p50)} | ${f1(run.p99)} | ${Math.round(cpu)} | ${f2(pct(gen, 99))} (p99) |`);
        continue;
      }
      const c0 = which.proc.cpu();
      const m0 = which.proc.mainCpu();
      const k0 = kernelSeconds(which.proc.child.pid);
      const g0 = genCpu();
      const w0 = which.traced ? undefined : await writerCounts(which.proc.url);
      const run = await openLoop(`${which.proc.url}/api/messages`, rate, seconds, which.req, { trace: which.traced, maxMs });
      const cpu = ((which.proc.cpu() - c0) * 1e6) / run.samples.length;
      // The event loop's thread and the generator, as a share of one core over the run.
      const busy = `main thread ${cores(which.proc.mainCpu() - m0, run)} (in the kernel ${cores(kernelSeconds(which.proc.child.pid) - k0, run)}), generator ${cores(genCpu() - g0, run)} of a core`;
      if (!which.traced) {
        const ms = run.samples.map((s) => s.ms);
        const w1 = await writerCounts(which.proc.url);
        const nb = w1.batches - (w0?.batches ?? 0);
        const writer = `${nb} batches, ${f1((w1.ops - (w0?.ops ?? 0)) / nb)} ops each (mean)`;
        console.log(
          `round ${round + 1} ${which.name}: p50 ${f1(run.p50)} p90 ${f1(pct(ms, 90))} p99 ${f1(run.p99)} p99.9 ${f1(pct(ms, 99.9))} ms, ${run.bad} bad, ${Math.round(run.rps)}/s, CPU ${Math.round(cpu)} µs/req, ${busy}, writer ${writer}; load ${load()}`,
        );
        table.push(`| ${round + 1} | ${which.name} | ${f1(run.p50)} | ${f1(run.p99)} | ${Math.round(cpu)} |`);
        continue;
      }
      const trace = (await (await setupFetch(`${which.proc.url}/bench/trace`)).json()) as Trace;
      report(which.name, round, run.samples, trace, cpu, run.bad, run.rps, busy);
      await setupFetch(`${which.proc.url}/bench/trace`);
    }
  }
  console.log(
    `\n| round | process | p50 (ms) | p99 (ms) | CPU µs/req | generator late (slowest 1%, mean) | ${PARTS.filter((p) => p !== 'gen')
      .map((p) => `${p}: slowest 1% mean - median`)
      .join(' | ')} |\n|---:|---|---:|---:|---:|---:|${PARTS.slice(1)
      .map(() => '---:|')
      .join('')}`,
  );
  for (const l of table) console.log(l);
} finally {
  for (const sv of services) {
    await sv.proc.stop();
    await sv.db.dispose();
  }
  await bare.stop();
  await db.dispose();
}

function report(name: string, round: number, samples: OpenLoopSample[], trace: Trace, cpu: number, bad: number, rps: number, busy: string) {
  const batches = new Map(trace.batches.map((b) => [b.id, b]));
  type Row = { ms: number; parts: Record<Part, number>; s: OpenLoopSample; batch: Batch | undefined };
  const rows: Row[] = [];
  let missing = 0;
  for (const s of samples) {
    const r = trace.reqs[String(s.seq)];
    if (!r || r.fin === undefined || r.sub === undefined || r.res === undefined || r.b === undefined) {
      missing++;
      continue;
    }
    const b = batches.get(r.b);
    if (!b || b.end === undefined) {
      missing++;
      continue;
    }
    const due = s.dueUs as number;
    const sent = s.sentUs as number;
    const commit = b.commit ?? b.end;
    const synced = b.synced ?? commit;
    const begun = b.begun ?? b.start;
    const parts: Record<Part, number> = {
      gen: sent - due,
      conn: (s.wroteUs as number) - sent,
      in: r.req - (s.wroteUs as number),
      handler: r.sub - r.req,
      queue: b.start - r.sub,
      lock: begun - b.start,
      batch: commit - begun,
      sync: synced - commit,
      handout: r.res - synced,
      reply: r.fin - r.res,
      back: (s.doneUs as number) - r.fin,
    };
    for (const k of PARTS) parts[k] /= 1000;
    rows.push({ ms: s.ms, parts, s, batch: b });
  }
  rows.sort((a, b) => a.ms - b.ms);
  const all = rows.map((r) => r.ms);
  const slow = rows.slice(Math.floor(rows.length * 0.99));
  const line = (name: string, rs: Row[]) =>
    `  ${name.padEnd(12)} ${PARTS.map((k) => `${k} ${f2(mean(rs.map((r) => r.parts[k])))}`).join(', ')} (ms, mean)`;
  const sizes = trace.batches.map((b) => b.size);
  const bLoop = trace.batches
    .filter((b) => b.end !== undefined)
    .map((b) => ((b.commit ?? (b.end as number)) - (b.begun ?? b.start)) / 1000);
  const bLock = trace.batches.filter((b) => b.begun !== undefined).map((b) => ((b.begun as number) - b.start) / 1000);
  const bSync = trace.batches.filter((b) => b.synced !== undefined).map((b) => ((b.synced as number) - (b.commit as number)) / 1000);
  const overlaps = (r: Row, t0: number, ms: number) => t0 < (r.s.doneUs as number) && t0 + ms * 1000 > (r.s.dueUs as number);
  const gcSlow = slow.filter((r) => trace.gcs.some((g) => overlaps(r, g.start, g.ms))).length;
  const stallSlow = slow.filter((r) => trace.stalls.some((g) => g.ms >= 2 && overlaps(r, g.start, g.ms))).length;
  const gcMs = trace.gcs.reduce((a, g) => a + g.ms, 0);
  const walSlow = slow.filter((r) => (trace.walRestarts ?? []).some((t) => overlaps(r, t - 5000, 5))).length;
  console.log(
    `round ${round + 1} ${name}: p50 ${f1(pct(all, 50))} p90 ${f1(pct(all, 90))} p99 ${f1(pct(all, 99))} p99.9 ${f1(pct(all, 99.9))} max ${f1(pct(all, 100))} ms, ${bad} bad, ${Math.round(rps)}/s, CPU ${Math.round(cpu)} µs/req, ${busy}, ${missing} untraced; load ${load()}`,
  );
  console.log(
    `  writer: ${trace.batches.length} batches, size p50 ${pct(sizes, 50)} p99 ${pct(sizes, 99)} max ${Math.max(0, ...sizes)}; BEGIN's wait p99 ${f2(pct(bLock, 99))} max ${f2(Math.max(0, ...bLock))} ms, ${bLock.filter((x) => x > 1).length} over 1 ms; on the loop (BEGIN..COMMIT) p50 ${f2(pct(bLoop, 50))} p99 ${f2(pct(bLoop, 99))} ms; sync p50 ${f2(pct(bSync, 50))} p99 ${f2(pct(bSync, 99))} max ${f2(Math.max(0, ...bSync))} ms`,
  );
  console.log(
    `  gc: ${trace.gcs.length} pauses, ${f1(gcMs)} ms, longest ${f1(Math.max(0, ...trace.gcs.map((g) => g.ms)))} ms; loop stalls >= 2 ms: ${trace.stalls.filter((s) => s.ms >= 2).length}, p99 ${f1(
      pct(
        trace.stalls.map((s) => s.ms),
        99,
      ),
    )} max ${f1(Math.max(0, ...trace.stalls.map((s) => s.ms)))} ms; by kind ${gcKinds(trace.gcs)}`,
  );
  console.log(line('all', rows));
  console.log(line('median half', rows.slice(Math.floor(rows.length * 0.25), Math.floor(rows.length * 0.75))));
  console.log(line('slowest 1%', slow));
  console.log(
    `  slowest 1% (${slow.length}, from ${f1(slow[0]?.ms ?? 0)} ms): batch size mean ${f1(mean(slow.map((r) => r.batch?.size ?? 0)))} (all ${f1(mean(rows.map((r) => r.batch?.size ?? 0)))}); overlapping a GC pause ${gcSlow}, a loop stall >= 2 ms ${stallSlow}, a WAL restart ${walSlow} (${(trace.walRestarts ?? []).length} restarts in the run)`,
  );
  const p = (k: Part) => f2(mean(slow.map((r) => r.parts[k])) - median(rows.map((r) => r.parts[k])));
  table.push(
    `| ${round + 1} | ${name} | ${f1(pct(all, 50))} | ${f1(pct(all, 99))} | ${Math.round(cpu)} | ${f2(mean(slow.map((r) => r.parts.gen)))} | ${PARTS.slice(1).map(p).join(' | ')} |`,
  );
}

/** GC pauses by kind (perf_hooks' constants): count, total and longest of each. */
function gcKinds(gcs: { ms: number; kind: number }[]): string {
  const names: Record<number, string> = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weak callbacks' };
  const by = new Map<string, number[]>();
  for (const g of gcs) {
    const k = names[g.kind] ?? `kind ${g.kind}`;
    const list = by.get(k) ?? [];
    list.push(g.ms);
    by.set(k, list);
  }
  return [...by]
    .map(([k, ms]) => `${k} ${ms.length} (${ms.reduce((a, b) => a + b, 0).toFixed(1)} ms, longest ${Math.max(...ms).toFixed(1)} ms)`)
    .join(', ');
}
