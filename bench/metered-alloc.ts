/**
 * What a metered `POST /api/messages` allocates on the server's main thread, by allocation
 * site and by module (issue 21, goal 3: SQLite against PostgreSQL), with V8's sampling heap
 * profiler (bench/server.mjs under BENCH_MEM=1, `/bench/heap-sampling/start?minor=1`: what
 * scavenges collected counts too), one sample per 512 bytes, over REQUESTS requests of one
 * funded user at 64 connections after a warm-up. Bytes per request do not move with the
 * machine's load (the batch size does a little: printed).
 *
 *   npm run build:server && npx tsx bench/metered-alloc.ts [REQUESTS] [sqlite|postgres|both] [server.mjs]
 */
import type { Dialect } from '../src/db/open.js';
import { autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const n = Number(process.argv[2] ?? 20_000);
const which = process.argv[3] ?? 'both';
const script = process.argv[4];
const METRICS_TOKEN = 'metered-alloc-metrics-token';
const dialects: Dialect[] = which === 'both' ? ['sqlite', 'postgres'] : [which as Dialect];

async function batches(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(/^ledger_writer_batch_size_count (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

for (const dialect of dialects) {
  const db = await benchDb(dialect);
  // Load shedding off: on a loaded machine it answered some requests 503 (the "bad" count),
  // which allocate far less and lowered the bytes per request.
  const s = await startServerProc(db, { BENCH_MEM: '1', METRICS_TOKEN, MAX_EVENT_LOOP_DELAY_MS: '0' }, script);
  try {
    const { token } = await fundedUser(s.url, `alloc-${dialect}@example.com`, 500_000_000);
    const req = { url: `${s.url}/api/messages`, connections: 64, ...meteredRequest(token) };
    await autocannonRun({ ...req, amount: 20_000 });
    const b0 = await batches(s.url);
    await (await fetch(`${s.url}/bench/heap-sampling/start?minor=1&interval=512`, { method: 'POST' })).json();
    const run = await autocannonRun({ ...req, amount: n });
    const out = (await (await fetch(`${s.url}/bench/heap-sampling/stop`, { method: 'POST' })).json()) as {
      total: number;
      top: [string, number][];
      modules: [string, number][];
    };
    const b = (await batches(s.url)) - b0;
    console.log(
      `\n${dialect}: ${n} requests (${run.bad} bad), ${b} batches (${(n / b).toFixed(1)} a batch): sampled ${Math.round(out.total / n)} bytes per request`,
    );
    console.log('| bytes a request | module |\n|---:|---|');
    for (const [m, bytes] of out.modules) console.log(`| ${Math.round(bytes / n)} | ${m} |`);
    console.log('| bytes a request | site (last four frames) |\n|---:|---|');
    for (const [site, bytes] of out.top.slice(0, 25)) console.log(`| ${Math.round(bytes / n)} | ${site} |`);
  } finally {
    await s.stop();
    await db.dispose();
  }
}
