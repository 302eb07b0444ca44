/**
 * `GET /health/live` of two or more builds of the service, and bare Fastify's `GET /`,
 * alternated in the same minutes (issue 21, goal 1):
 *
 *   npx tsx bench/ab-live.ts [--rounds 3] [--seconds 4] <server.mjs of build A> <of build B> ...
 *   npx tsx bench/ab-live.ts --callgrind [--requests 10000] [--rounds 3] <server.mjs A> <server.mjs B> ...
 *
 * Each build's bench/server.mjs serves its own dist/ (copy a build's dist/, bench/server.mjs
 * and package.json to a directory of its own, node_modules linked). Without --callgrind: per
 * round (order reversed every other round), a saturated run of each (autocannon, 64
 * connections), the server's CPU per answered request from /proc (all threads and the main
 * thread) and requests/s; the ratio bare / build of CPU per request, per round, is the
 * figure (rounds show the noise). With --callgrind: every server (bare included) runs under
 * valgrind's callgrind with instrumentation off; each counted window is a warm-up of 4,000
 * requests, instrumentation on, 500 settling requests, counters zeroed, exactly `requests`
 * requests, a dump (bench/callgrind.ts): instructions per request on the main thread (the
 * event loop) and in all threads, windows of the builds alternated (V8's tiering moves a
 * window's count by ~10%).
 * With PERF_MAP=1 the servers run with --perf-basic-prof and the dumps are kept (their
 * directory is printed) for bench/callgrind-js.py.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallgrindServer, QUIET, perfMapArgs } from './callgrind.js';
import { load, median } from './common.js';
import { type BenchDb, type ServerProc, benchDb, measuredRun, startServerProc } from './http.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const callgrind = args.includes('--callgrind');
if (callgrind) args.splice(args.indexOf('--callgrind'), 1);
const rounds = opt('rounds', 3);
const seconds = opt('seconds', 4);
const requests = opt('requests', 10_000);
const builds = args;
if (builds.length < 1) throw new Error('usage: ab-live.ts [--callgrind] [--rounds n] [--seconds s] [--requests n] <server.mjs>...');
const BARE = new URL('./bare.mjs', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'ab-live-'));

interface Target {
  name: string;
  s: ServerProc;
  /** With --callgrind: the same server, for its counted windows. */
  cg: CallgrindServer | undefined;
  url: string;
}
const dbs: BenchDb[] = [];
const targets: Target[] = [];
for (const [i, script] of [BARE, ...builds].entries()) {
  const name = i === 0 ? 'bare' : String.fromCharCode(64 + i);
  const db = await benchDb('sqlite');
  dbs.push(db);
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  const cg = callgrind ? await CallgrindServer.start(db, dir, script) : undefined;
  const s = cg ? cg.server : await startServerProc(db, QUIET, script, perfMapArgs());
  targets.push({ name, s, cg, url: i === 0 ? `${s.url}/` : `${s.url}/health/live` });
  console.log(`${name}: ${script}`);
}

/** One counted window of `requests` requests on a server under callgrind: instructions per request, main thread and all threads. */
async function counted(t: Target): Promise<{ main: number; all: number }> {
  const w = await (t.cg as CallgrindServer).window({ url: t.url, connections: 64, timeout: 600 }, requests);
  if (w.counted.bad) console.log(`${t.name}: ${w.counted.bad} bad answers`);
  return { main: Math.round(w.main / requests), all: Math.round(w.all / requests) };
}

const fig = new Map<string, { a: number[]; b: number[] }>(targets.map((t) => [t.name, { a: [], b: [] }]));
try {
  if (!callgrind) for (const t of targets) await measuredRun(t.s, { url: t.url, connections: 64, duration: 2 });
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    const line: string[] = [];
    const per = new Map<string, number>();
    for (const t of order) {
      const f = fig.get(t.name) as { a: number[]; b: number[] };
      if (callgrind) {
        const c = await counted(t);
        f.a.push(c.main);
        f.b.push(c.all);
        per.set(t.name, c.main);
        line.push(`${t.name} ${c.main.toLocaleString('en')} main / ${c.all.toLocaleString('en')} all`);
      } else {
        const l = await measuredRun(t.s, { url: t.url, connections: 64, duration: seconds });
        f.a.push(l.cpuUs as number);
        f.b.push(Math.round(l.rps));
        per.set(t.name, l.cpuUs as number);
        line.push(`${t.name} ${l.cpuUs} µs (main ${l.mainUs}) ${Math.round(l.rps)}/s${l.bad ? ` bad ${l.bad}` : ''}`);
      }
    }
    const bare = per.get('bare') as number;
    const ratios = targets
      .slice(1)
      .map((t) => `${t.name} ${(bare / (per.get(t.name) as number)).toFixed(2)}x`)
      .join(', ');
    console.log(`round ${r + 1}: ${line.join('; ')}; bare/build ${ratios}; load ${load()}`);
  }
  const unit = callgrind ? 'instructions/request main thread (all threads)' : 'µs CPU/request (requests/s)';
  for (const t of targets) {
    const f = fig.get(t.name) as { a: number[]; b: number[] };
    console.log(
      `median ${t.name}: ${median(f.a).toLocaleString('en')} ${unit.split(' ')[0]} (${median(f.b).toLocaleString('en')}) [${unit}]`,
    );
  }
  if (callgrind) console.log(`dumps in ${out} (server pids ${targets.map((t) => `${t.name} ${t.s.child.pid}`).join(', ')})`);
} finally {
  for (const t of targets) t.s.child.kill(callgrind ? 'SIGKILL' : 'SIGTERM');
  for (const d of dbs) await d.dispose();
}
