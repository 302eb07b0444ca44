/**
 * What a GET /health/live request allocates, by allocation site: V8's sampling heap profiler
 * in the server (bench/server.mjs under BENCH_MEM=1, `/bench/heap-sampling/start?minor=1`,
 * which keeps what the scavenges collected too), one sample per 512 bytes, over `requests`
 * requests at 64 connections after a warm-up of 30,000. Prints bytes per request in all and
 * for the top sites (the last four frames of each stack). Issue 21, goal 1: the service
 * allocates about 10.5 KB per request against bare Fastify's 7.0 KB (--trace-gc-nvp).
 *
 *   npx tsx bench/live-alloc.ts [requests] [path]   (after `npm run build:server`)
 */
import autocannon from 'autocannon';
import { benchDb, startServerProc } from './http.js';

const n = Number(process.argv[2] ?? 50_000);
const path = process.argv[3] ?? '/health/live';
const db = await benchDb('sqlite');
const s = await startServerProc(db, { BENCH_MEM: '1' });
try {
  await new Promise((r) => autocannon({ url: `${s.url}${path}`, connections: 64, amount: 30_000 }, r));
  await (await fetch(`${s.url}/bench/heap-sampling/start?minor=1&interval=512`, { method: 'POST' })).json();
  await new Promise((r) => autocannon({ url: `${s.url}${path}`, connections: 64, amount: n }, r));
  const out = (await (await fetch(`${s.url}/bench/heap-sampling/stop`, { method: 'POST' })).json()) as {
    total: number;
    top: [string, number][];
  };
  console.log(`${path}: sampled ${Math.round(out.total / n)} bytes per request`);
  for (const [site, bytes] of out.top.slice(0, 30)) console.log(`${String(Math.round(bytes / n)).padStart(6)} B  ${site}`);
} finally {
  await s.stop();
  await db.dispose();
}
