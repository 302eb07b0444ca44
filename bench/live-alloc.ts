/**
 * What a request allocates, by allocation site: V8's sampling heap profiler in the server
 * (bench/server.mjs under BENCH_MEM=1, `/bench/heap-sampling/start?minor=1`, which keeps what
 * the scavenges collected too), one sample per 512 bytes, over `requests` requests at 64
 * connections after a warm-up of 30,000. Prints bytes per request in all and for the top sites
 * (the last four frames of each stack). Issue 21, goal 1: the service allocates about 10.5 KB
 * per `GET /health/live` request against bare Fastify's 7.0 KB (--trace-gc-nvp).
 *
 *   npx tsx bench/live-alloc.ts [requests] [path | metered] [server.mjs]   (after `npm run build:server`)
 *
 * `metered`: the metered route (`POST /api/messages` of bench/http.ts's `meteredRequest`, a
 * funded user) instead of a GET of `path`. The third argument is another build's server.mjs.
 */
import autocannon from 'autocannon';
import { benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const n = Number(process.argv[2] ?? 50_000);
const path = process.argv[3] ?? '/health/live';
const script = process.argv[4] ?? new URL('./server.mjs', import.meta.url).pathname;
/** LIVE_ALLOC_BY=ours: sites grouped by the innermost frame of our own code (dist/), then the allocating frame. */
const by = process.env.LIVE_ALLOC_BY ?? 'stack';
const db = await benchDb('sqlite');
const s = await startServerProc(db, { BENCH_MEM: '1' }, script);
try {
  let opts: autocannon.Options = { url: `${s.url}${path}`, connections: 64 };
  if (path === 'metered') {
    const { token } = await fundedUser(s.url, 'alloc@example.com', 500_000_000);
    opts = { url: `${s.url}/api/messages`, connections: 64, ...meteredRequest(token) };
  }
  await new Promise((r) => autocannon({ ...opts, amount: 30_000 }, r));
  await (await fetch(`${s.url}/bench/heap-sampling/start?minor=1&interval=512`, { method: 'POST' })).json();
  await new Promise((r) => autocannon({ ...opts, amount: n }, r));
  const out = (await (await fetch(`${s.url}/bench/heap-sampling/stop?by=${by}`, { method: 'POST' })).json()) as {
    total: number;
    top: [string, number][];
  };
  console.log(`${path}: sampled ${Math.round(out.total / n)} bytes per request`);
  for (const [site, bytes] of out.top.slice(0, 60)) console.log(`${String(Math.round(bytes / n)).padStart(6)} B  ${site}`);
} finally {
  await s.stop();
  await db.dispose();
}
