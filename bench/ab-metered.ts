/**
 * Two builds of the service side by side on SQLite, the metered route alternated between
 * them in the same minutes: `npx tsx bench/ab-metered.ts <server.mjs of build A> <of build B> [rounds] [seconds] [rate]`
 * (each build's bench/server.mjs serves its own dist/). Per round and build: a closed loop
 * (autocannon, 64 connections: requests/s, the server's CPU per request from /proc, p99)
 * and, with a rate, an open loop at that rate (bench/open-loop.ts: p50/p99 counted from
 * when each request was due). Figures of one round compare; rounds show the noise.
 */
import { type BenchDb, benchDb, fundedUser, measuredRun, meteredRequest, startServerProc } from './http.js';
import { openLoop } from './open-loop.js';

const [a, b] = [process.argv[2], process.argv[3]];
if (!a || !b) throw new Error('usage: ab-metered.ts <server.mjs A> <server.mjs B> [rounds] [seconds] [rate]');
const rounds = Number(process.argv[4] ?? 3);
const seconds = Number(process.argv[5] ?? 5);
const rate = Number(process.argv[6] ?? 0);
const dbs: BenchDb[] = [];
const servers = [];
for (const [name, script] of [
  ['A', a],
  ['B', b],
] as const) {
  const db = await benchDb('sqlite');
  dbs.push(db);
  const s = await startServerProc(db, {}, script);
  const { token } = await fundedUser(s.url, `ab-${name}@example.com`, 500_000_000);
  servers.push({ name, s, req: meteredRequest(token) });
}
try {
  for (const x of servers) await measuredRun(x.s, { url: `${x.s.url}/api/messages`, connections: 64, duration: 2, ...x.req });
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const x of order) {
      const l = await measuredRun(x.s, { url: `${x.s.url}/api/messages`, connections: 64, duration: seconds, ...x.req });
      let open = '';
      if (rate > 0) {
        const o = await openLoop(
          `${x.s.url}/api/messages`,
          rate,
          seconds,
          x.req as { method: string; headers: Record<string, string>; body: string },
        );
        open = `, open loop at ${rate}/s: p50 ${o.p50.toFixed(1)} ms, p99 ${o.p99.toFixed(1)} ms, bad ${o.bad}`;
      }
      console.log(`round ${r + 1} ${x.name}: ${Math.round(l.rps)}/s, ${l.cpuUs} µs CPU/request, p99 ${l.p99} ms, bad ${l.bad}${open}`);
    }
  }
} finally {
  for (const x of servers) await x.s.stop();
  for (const d of dbs) await d.dispose();
}
