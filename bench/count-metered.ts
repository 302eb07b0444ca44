/**
 * Instructions per metered request on SQLite, counted by valgrind's callgrind in the server
 * process: a count that does not move with the machine's load, to compare two builds.
 *
 * `npx tsx bench/count-metered.ts [requests] [connections] [server.mjs]` (after `npm run
 * build:server`; the third argument is another build's bench/server.mjs, whose ../dist/ it
 * imports). The server (bench/server.mjs, the environment of bench/http.ts, load shedding
 * off, background jobs an hour apart) starts under callgrind with instrumentation off; the
 * window of bench/callgrind.ts counts it: max(4000, 2 × requests) of a funded user's metered
 * requests warm it up; `callgrind_control -i on`, 500 requests, `-z`, then exactly `requests`
 * metered requests (autocannon `amount`), then `callgrind_control -d`. Every thread is
 * counted (the event loop, libuv's pool that runs the WAL's fdatasync, the checkpoint
 * worker), each in a file of its own (`--separate-threads=yes`); the figures are user-space
 * instructions (Ir) per request, all threads and the event loop's thread alone. The dump
 * stays in the printed directory for callgrind_annotate (with PERF_MAP=1 node runs with
 * --perf-basic-prof, for bench/callgrind-js.py).
 *
 * COUNT_DIALECT=postgres: the same on PostgreSQL (BENCH_DATABASE_URL; a schema of its own). Only
 * the server process is counted, not PostgreSQL's backends.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { CallgrindServer } from './callgrind.js';
import { benchDb, fundedUser, meteredRequest } from './http.js';

const requests = Number(process.argv[2] ?? 2000);
const connections = Number(process.argv[3] ?? 64);
const script = process.argv[4] ?? new URL('./server.mjs', import.meta.url).pathname;
const db = await benchDb((process.env.COUNT_DIALECT ?? 'sqlite') as Dialect);
const cg = await CallgrindServer.start(db, mkdtempSync(join(tmpdir(), 'count-metered-')), script);
try {
  const { token } = await fundedUser(cg.server.url, 'count@example.com', 50_000_000);
  // Valgrind runs the server some 50 times slower: no request may time out.
  const req = { url: `${cg.server.url}/api/messages`, connections, timeout: 600, ...meteredRequest(token) };
  const w = await cg.window(req, requests, Math.max(4000, 2 * requests));
  console.log(`warm-up: ${w.warm.bad} bad; counted: ${requests} requests, ${w.counted.bad} bad, ${connections} connections`);
  for (const t of w.threads) console.log(`  ${t.file}: ${t.ir.toLocaleString('en')} Ir`);
  console.log(
    `instructions per request: ${Math.round(w.all / requests).toLocaleString('en')} all threads, ${Math.round(w.main / requests).toLocaleString('en')} event loop (dump in ${cg.dir})`,
  );
} finally {
  cg.server.child.kill('SIGKILL');
  await db.dispose();
}
