/**
 * Instructions per metered request on SQLite, counted by valgrind's callgrind in the server
 * process: a count that does not move with the machine's load, to compare two builds.
 *
 * `npx tsx bench/count-metered.ts [requests] [connections] [server.mjs]` (after `npm run
 * build:server`; the third argument is another build's bench/server.mjs, whose ../dist/ it
 * imports). The server (bench/server.mjs, the environment of bench/http.ts, load shedding
 * off, background jobs an hour apart) starts under callgrind with instrumentation off; a funded user's metered requests
 * warm it up; `callgrind_control -i on`, 500 requests, `-z`, then exactly `requests` metered requests
 * (autocannon `amount`), then `callgrind_control -d`. Every thread is counted (the event
 * loop, libuv's pool that runs the WAL's fdatasync, the checkpoint worker), each in a file
 * of its own (`--separate-threads=yes`); the figures are user-space instructions (Ir) per
 * request, all threads and the event loop's thread alone. The dump stays in the printed
 * directory for callgrind_annotate.
 *
 * COUNT_DIALECT=postgres: the same on PostgreSQL (BENCH_DATABASE_URL; a schema of its own). Only
 * the server process is counted, not PostgreSQL's backends.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const requests = Number(process.argv[2] ?? 2000);
const connections = Number(process.argv[3] ?? 64);
const script = process.argv[4] ?? new URL('./server.mjs', import.meta.url).pathname;
/**
 * Load shedding off (valgrind's slowness is no overload), and the background jobs (webhook
 * and alert polls, hold and grant sweeps) an hour apart: under valgrind they run some 50
 * times as often per request as in a real run and would be counted as request costs.
 */
const QUIET = { MAX_EVENT_LOOP_DELAY_MS: '0', WEBHOOKS_POLL_MS: '3600000', ALERTS_POLL_MS: '3600000', HOLD_SWEEP_SECONDS: '3600' };
const out = mkdtempSync(join(tmpdir(), 'count-metered-'));
const db = await benchDb((process.env.COUNT_DIALECT ?? 'sqlite') as Dialect);
// PERF_MAP=1: node writes /tmp/perf-<pid>.map, which bench/callgrind-js.py uses to name the JIT code in the dump.
const nodeArgs = process.env.PERF_MAP === '1' ? ['--perf-basic-prof'] : [];
const server = await startServerProc(db, { ...QUIET, USER: 'bench' }, script, nodeArgs, [
  'valgrind',
  '--tool=callgrind',
  '--instr-atstart=no',
  '--separate-threads=yes',
  `--callgrind-out-file=${out}/callgrind.out.%p`,
]);
const pid = String(server.child.pid);
// vgdb finds the process by a file named for USER and HOST: the same on both sides.
const ctl = (...args: string[]) =>
  execFileSync('callgrind_control', [...args, pid], { encoding: 'utf8', env: { ...process.env, USER: 'bench', HOST: '127.0.0.1' } });
try {
  const { token } = await fundedUser(server.url, 'count@example.com', 50_000_000);
  // Valgrind runs the server some 50 times slower: no request may time out.
  const req = { url: `${server.url}/api/messages`, connections, timeout: 600, ...meteredRequest(token) };
  const warm = await autocannonRun({ ...req, amount: Math.max(4000, 2 * requests) });
  // The first requests after instrumentation starts cost more (valgrind translates the code
  // again): a settling run, then the counters zeroed.
  ctl('-i', 'on');
  await autocannonRun({ ...req, amount: 500 });
  ctl('-z');
  const counted = await autocannonRun({ ...req, amount: requests });
  ctl('-d');
  const files = readdirSync(out).filter((f) => /\.1-\d+$/.test(f));
  const threads = files.map((f) => {
    const text = readFileSync(join(out, f), 'utf8');
    const m = /^(?:totals|summary): (\d+)/m.exec(text);
    return { f, ir: Number(m?.[1] ?? 0) };
  });
  const all = threads.reduce((s, t) => s + t.ir, 0);
  const main = threads.find((t) => t.f.endsWith('-01'))?.ir ?? 0;
  console.log(`warm-up: ${warm.bad} bad; counted: ${requests} requests, ${counted.bad} bad, ${connections} connections`);
  for (const t of threads) console.log(`  ${t.f}: ${t.ir.toLocaleString('en')} Ir`);
  console.log(
    `instructions per request: ${Math.round(all / requests).toLocaleString('en')} all threads, ${Math.round(main / requests).toLocaleString('en')} event loop (dump in ${out})`,
  );
} finally {
  server.child.kill('SIGKILL');
  await db.dispose();
}
