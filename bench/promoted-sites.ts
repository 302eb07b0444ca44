/**
 * What the metered load leaves in the main thread's old generation, by allocation site:
 * `npx tsx bench/promoted-sites.ts [sqlite|postgres] [seconds]`. The server (bench/server.mjs,
 * BENCH_MEM=1) runs V8's sampling heap profiler (16 KiB interval) over S seconds of the
 * metered route at 64 connections, keeping the objects collected by full GCs
 * (`includeObjectsCollectedByMajorGC`) and dropping those the young collections freed: what
 * was promoted (and objects still in the young generation at the end). Prints the top
 * sites (the last four frames, the allocating one last) by sampled bytes.
 */
import type { Dialect } from '../src/db/open.js';
import { benchDb, fundedUser, measuredRun, meteredRequest, startServerProc } from './http.js';

const db = await benchDb((process.argv[2] ?? 'sqlite') as Dialect);
const server = await startServerProc(db, { BENCH_MEM: '1' });
try {
  const { token } = await fundedUser(server.url, 'sites@example.com', 500_000_000);
  const req = meteredRequest(token);
  await measuredRun(server, { url: `${server.url}/api/messages`, connections: 64, duration: 2, ...req });
  await fetch(`${server.url}/bench/heap-sampling/start`, { method: 'POST' });
  const l = await measuredRun(server, {
    url: `${server.url}/api/messages`,
    connections: 64,
    duration: Number(process.argv[3] ?? 6),
    ...req,
  });
  const mem = (await (await fetch(`${server.url}/bench/mem`)).json()) as {
    mem: NodeJS.MemoryUsage;
    spaces: Record<string, { used: number }>;
  };
  const r = (await (await fetch(`${server.url}/bench/heap-sampling/stop`, { method: 'POST' })).json()) as {
    total: number;
    top: [string, number][];
  };
  const mb = (x: number | undefined) => Math.round((x ?? 0) / 2 ** 20);
  console.log(
    `${Math.round(l.rps)}/s, ${l.cpuUs} µs CPU/request; heapUsed ${mb(mem.mem.heapUsed)} MB, old space ${mb(mem.spaces.old_space?.used)} MB used; sampled ${mb(r.total)} MB`,
  );
  for (const [site, bytes] of r.top) console.log(`${(bytes / 2 ** 20).toFixed(1).padStart(6)} MB  ${site}`);
} finally {
  await server.stop();
  await db.dispose();
}
