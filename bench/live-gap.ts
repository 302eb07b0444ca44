/**
 * Why GET /health/live costs more CPU per request inside `npm run bench`'s http section than
 * on a fresh server (issue 21, goal 1). Two server processes (bench/server.mjs, environment
 * of bench/http.ts) side by side: one fresh, one put through what the http section did to
 * its server before its /health/live runs (a sign-up and funding, which starts the
 * password-strength worker, then metered load), and bare Fastify; each driven in turn
 * (order reversed every round), saturated (64 connections) and at fixed rates below
 * saturation (an evenly spaced open loop). Per run, from /proc: CPU per answered request,
 * split into the main thread's user and system time and the other threads' (by thread id
 * less the pid), minor page faults, and the main thread's voluntary and involuntary context
 * switches per 1,000 requests. With --trace-gc the servers run under node --trace-gc (V8
 * prints to stdout, the log file) and each run counts its scavenges and mark-compacts per
 * isolate (the main thread's and each worker's).
 *
 *   npx tsx bench/live-gap.ts [--seconds 4] [--rounds 3] [--rates 2000,8000] [--metered-seconds 10] [--trace-gc]
 *     [--node-args '--trace-incremental-marking']   (with --trace-gc: what started each marking cycle)
 */
import { readFileSync, readdirSync } from 'node:fs';
import autocannon from 'autocannon';
import { arg, load, median } from './common.js';
import { type ServerProc, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';
import { openLoop } from './open-loop.js';

const args = process.argv.slice(2);
const SECONDS = Number(arg('seconds') ?? 4);
const ROUNDS = Number(arg('rounds') ?? 3);
const RATES = (arg('rates') ?? '2000,8000').split(',').filter(Boolean).map(Number);
const METERED_SECONDS = Number(arg('metered-seconds') ?? 10);
/** --trace-gc: the servers run with node --trace-gc (V8 prints to stdout, the log file) and each run counts its GC events. */
const TRACE_GC = args.includes('--trace-gc');

/** utime and stime (seconds) of the main thread and of all the others. */
function cpu(pid: number) {
  const out = { mainU: 0, mainS: 0, otherU: 0, otherS: 0, faults: 0, vcs: 0, ivcs: 0, byThread: new Map<number, [number, number]>() };
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const u = Number(f[11]) / 100;
      const s = Number(f[12]) / 100;
      out.faults += Number(f[7]);
      out.byThread.set(Number(t) - pid, [u + s, Number(f[7])]);
      if (t === String(pid)) {
        const status = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
        out.vcs += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
        out.ivcs += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
        out.mainU += u;
        out.mainS += s;
      } else {
        out.otherU += u;
        out.otherS += s;
      }
    } catch {}
  }
  return out;
}

/** The GC lines V8 printed in a server's log since the last call (--trace-gc): count and ms of scavenges and of mark-compacts. */
const seen = new Map<string, number>();
function gcSince(dir: string) {
  const file = readdirSync(dir).find((f) => f.startsWith('server-') && f.endsWith('.log'));
  if (!file) return '';
  const text = readFileSync(`${dir}/${file}`, 'utf8');
  const from = seen.get(dir) ?? 0;
  seen.set(dir, text.length);
  // By isolate (the address V8 prints): the main thread's, and each worker thread's.
  const by = new Map<string, { sc: number; scMs: number; mc: number; mcMs: number; kinds: Set<string> }>();
  for (const line of text.slice(from).split('\n')) {
    // With --node-args --trace-incremental-marking: why each major GC cycle started.
    const start = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: \[IncrementalMarking\] Start \(([^)]*)\)/.exec(line);
    if (start) {
      const g = by.get(start[1] as string) ?? { sc: 0, scMs: 0, mc: 0, mcMs: 0, kinds: new Set<string>() };
      by.set(start[1] as string, g);
      g.kinds.add(`marking started by ${start[2]}`);
      continue;
    }
    const m =
      /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact \(reduce\)|Mark-Compact|Mark-sweep|Minor Mark-Compact)[^,]*?(?:,| ).*?([\d.]+) \/ ([\d.]+) ms(.*)$/.exec(
        line,
      );
    if (!m) continue;
    const g = by.get(m[1] as string) ?? { sc: 0, scMs: 0, mc: 0, mcMs: 0, kinds: new Set<string>() };
    by.set(m[1] as string, g);
    if (m[2] === 'Scavenge') {
      g.sc++;
      g.scMs += Number(m[3]);
    } else {
      g.mc++;
      g.mcMs += Number(m[3]);
      const why = (m[5] ?? '').split(')').pop()?.split(';')[0]?.trim();
      if (why) g.kinds.add(`${m[2]}: ${why}`);
      // The heap before and after the first one (MB: used (committed) -> used (committed)).
      const sizes = /([\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB)/.exec(line)?.[1];
      if (sizes && g.mc === 1) g.kinds.add(`first ${sizes}`);
    }
  }
  return `; GC: ${[...by]
    .map(
      ([isolate, g]) =>
        `${isolate}: ${g.sc} scavenges ${g.scMs.toFixed(0)} ms, ${g.mc} mark-compacts ${g.mcMs.toFixed(0)} ms${g.kinds.size ? ` (${[...g.kinds].join(', ')})` : ''}`,
    )
    .join('; ')}`;
}

interface Row {
  gc?: string;
  rps: number;
  all: number;
  mainU: number;
  mainS: number;
  other: number;
  /** Per 1,000 requests: minor page faults (all threads), the main thread's voluntary (it waited) and involuntary (preempted) context switches. */
  faults: number;
  vcs: number;
  ivcs: number;
  /** Threads (by id less the pid) with CPU or faults in the run: µs and faults per 1,000 requests. */
  threads: string;
}

async function measure(s: ServerProc & { dir: string }, path: string, rate: number | null): Promise<Row> {
  const pid = s.child.pid as number;
  const a = cpu(pid);
  let n: number;
  let rps: number;
  if (rate === null) {
    const r = await new Promise<autocannon.Result>((resolve, reject) =>
      autocannon({ url: `${s.url}${path}`, connections: 64, duration: SECONDS }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    n = r.requests.total;
    rps = r.requests.average;
  } else {
    const r = await openLoop(`${s.url}${path}`, rate, SECONDS, { method: 'GET' });
    n = r.samples.length;
    rps = r.rps;
  }
  const b = cpu(pid);
  const us = (x: number) => Math.round((x * 1e6) / n);
  return {
    ...(TRACE_GC ? { gc: gcSince(s.dir) } : {}),
    rps: Math.round(rps),
    all: us(b.mainU + b.mainS + b.otherU + b.otherS - a.mainU - a.mainS - a.otherU - a.otherS),
    mainU: us(b.mainU - a.mainU),
    mainS: us(b.mainS - a.mainS),
    other: us(b.otherU + b.otherS - a.otherU - a.otherS),
    faults: Math.round(((b.faults - a.faults) * 1000) / n),
    vcs: Math.round(((b.vcs - a.vcs) * 1000) / n),
    ivcs: Math.round(((b.ivcs - a.ivcs) * 1000) / n),
    threads: [...b.byThread]
      .map(([t, [c, f]]) => {
        const [c0, f0] = a.byThread.get(t) ?? [0, 0];
        return [t, us(c - c0), Math.round(((f - f0) * 1000) / n)] as const;
      })
      .filter(([, c, f]) => c > 0 || f > 0)
      .map(([t, c, f]) => `${t}:${c}µs/${f}f`)
      .join(' '),
  };
}

const db = await benchDb('sqlite');
const db2 = await benchDb('sqlite');
const db3 = await benchDb('sqlite');
const nodeArgs = [...(TRACE_GC ? ['--trace-gc'] : []), ...(arg('node-args') ?? '').split(' ').filter(Boolean)];
const withDir = (s: ServerProc, d: typeof db) => Object.assign(s, { dir: d.env.DATA_DIR as string });
const fresh = withDir(await startServerProc(db, {}, undefined, nodeArgs), db);
const used = withDir(await startServerProc(db2, {}, undefined, nodeArgs), db2);
const bare = withDir(await startServerProc(db3, {}, new URL('./bare.mjs', import.meta.url).pathname, nodeArgs), db3);
try {
  const { token } = await fundedUser(used.url, 'gap@example.com');
  await new Promise<autocannon.Result>((resolve, reject) =>
    autocannon({ url: `${used.url}/api/messages`, connections: 64, duration: METERED_SECONDS, ...meteredRequest(token) }, (err, res) =>
      err ? reject(err) : resolve(res),
    ),
  );
  console.log(`used server: signed up, ${METERED_SECONDS} s of metered load; load ${load()}`);
  for (const [name, s] of [
    ['fresh', fresh],
    ['used', used],
  ] as const) {
    const m = (await (await fetch(`${s.url}/bench/rss`)).json()) as Record<string, number>;
    const mb = (x: number | undefined) => Math.round((x ?? 0) / 2 ** 20);
    console.log(`  ${name}: rss ${mb(m.rss)} MB, heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB`);
  }
  const targets: [string, ServerProc & { dir: string }, string][] = [
    ['bare', bare, '/'],
    ['live fresh', fresh, '/health/live'],
    ['live used', used, '/health/live'],
  ];
  for (const [, s, p] of targets) await measure(s, p, null);
  const all = new Map<string, Row[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const rate of [null, ...RATES]) {
      const order = r % 2 === 0 ? targets : [...targets].reverse();
      for (const [name, s, p] of order) {
        const row = await measure(s, p, rate);
        const key = `${name} @ ${rate ?? 'saturated'}`;
        all.set(key, [...(all.get(key) ?? []), row]);
        console.log(
          `round ${r + 1} ${key.padEnd(26)} ${String(row.rps).padStart(6)}/s ${String(row.all).padStart(4)} µs/req (main user ${row.mainU}, main sys ${row.mainS}, other threads ${row.other}; per 1,000: faults ${row.faults}, main switches ${row.vcs} voluntary ${row.ivcs} preempted) [${row.threads}] load ${load()}${row.gc ?? ''}`,
        );
      }
    }
  }
  console.log('\nmedians (µs per request):');
  for (const [k, rows] of all) {
    const m = (f: (x: Row) => number) => median(rows.map(f));
    console.log(
      `${k.padEnd(26)} ${String(m((x) => x.rps)).padStart(6)}/s all ${m((x) => x.all)} (main user ${m((x) => x.mainU)}, main sys ${m((x) => x.mainS)}, other ${m((x) => x.other)}; per 1,000: faults ${m((x) => x.faults)}, switches ${m((x) => x.vcs)} / ${m((x) => x.ivcs)}); runs: ${rows.map((x) => x.all).join(', ')}`,
    );
  }
} finally {
  await fresh.stop();
  await used.stop();
  await bare.stop();
  await db.dispose();
  await db2.dispose();
  await db3.dispose();
}
