/**
 * Two builds of the service side by side on SQLite, the metered route alternated between
 * them in the same minutes: `npx tsx bench/ab-metered.ts <server.mjs of build A> <of build B> [rounds] [seconds] [rate]`
 * (each build's bench/server.mjs serves its own dist/). Per round and build: a closed loop
 * (autocannon, 64 connections: requests/s, the server's CPU per request from /proc and its
 * main thread's part, the machine's idle share over the run, p99)
 * and, with a rate, an open loop at that rate (bench/open-loop.ts: p50/p99 counted from
 * when each request was due). Figures of one round compare; rounds show the noise.
 *
 * AB_ORG=1: the org section's pair on each build instead (bench/org.ts: a member with a monthly
 * limit on their own account, then with X-Account of the organisation), all four alternated.
 *
 * AB_NODE_A / AB_NODE_B: node options (space-separated) for that build's process, e.g.
 * `AB_NODE_B=--max-semi-space-size=32` with the same server.mjs twice: a V8 flag against its absence.
 * AB_ENV_A / AB_ENV_B: environment (a JSON object) for that build's process, e.g.
 * `AB_ENV_B='{"LD_PRELOAD":"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"}'` with the same server.mjs
 * twice: another allocator against glibc's (bench/analysis.md, "jemalloc in place of glibc's malloc").
 *
 * AB_ACCOUNTS=N: the metered load spread over N funded accounts of each build, connection i
 * sending as account i mod N (as bench/prof-pg-batch.ts's `accounts` mode).
 *
 * Each closed-loop run also gives the writer's batches and requests a batch (from /metrics).
 *
 * AB_DIALECT=postgres: on PostgreSQL (BENCH_DATABASE_URL), adding per request the CPU of each
 * build's own backends (found by application_name, from /proc). (Transactions per batch are
 * not counted here: a busy backend reports its counts to pg_stat_database up to 10 s late, and
 * these servers' backends stay up between runs; bench/prof-pg-notify.ts counts them over
 * connections it closes.)
 */
import type { Dialect } from '../src/db/open.js';
import { idleShare, load, machineTicks, PG_URL, pgBackendCpu, pgCpuBetween, withAppName } from './common.js';
import { type BenchDb, benchDb, fundedTokens, measuredRun, meteredRequest, spreadMeteredRequest, startServerProc } from './http.js';
import { openLoop } from './open-loop.js';
import { orgSetup } from './org.js';

const [a, b] = [process.argv[2], process.argv[3]];
if (!a || !b) throw new Error('usage: ab-metered.ts <server.mjs A> <server.mjs B> [rounds] [seconds] [rate]');
const rounds = Number(process.argv[4] ?? 3);
const seconds = Number(process.argv[5] ?? 5);
const rate = Number(process.argv[6] ?? 0);
const METRICS_TOKEN = 'ab-metered-metrics-token';
const dialect = (process.env.AB_DIALECT ?? 'sqlite') as Dialect;
const dbs: BenchDb[] = [];
const servers = [];
for (const [name, script] of [
  ['A', a],
  ['B', b],
] as const) {
  const db = await benchDb(dialect);
  dbs.push(db);
  const app = `ab-metered-${process.pid}-${name}`;
  const env = {
    METRICS_TOKEN,
    ...(dialect === 'postgres' ? { DATABASE_URL: withAppName(PG_URL, app) } : {}),
    ...(JSON.parse(process.env[`AB_ENV_${name}`] ?? '{}') as Record<string, string>),
  };
  const s = await startServerProc(db, env, script, (process.env[`AB_NODE_${name}`] ?? '').split(' ').filter(Boolean));
  if (process.env.AB_ORG) {
    // The org section's two requests, on each build: the member on their own account, and with X-Account of the organisation.
    const { member, org } = await orgSetup(s.url, dialect, db);
    const personal = meteredRequest(member.token);
    servers.push({ name: `${name} personal`, s, app, req: personal });
    servers.push({ name: `${name} member`, s, app, req: { ...personal, headers: { ...personal.headers, 'x-account': org } } });
  } else {
    const tokens = await fundedTokens(s.url, `ab-${name}`, Number(process.env.AB_ACCOUNTS ?? 1), 500_000_000);
    servers.push({ name, s, app, req: spreadMeteredRequest(tokens) });
  }
}

/** The writer's batches so far (its batch-size histogram's count, from /metrics). */
async function batches(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(/^ledger_writer_batch_size_count (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

try {
  for (const x of servers) await measuredRun(x.s, { url: `${x.s.url}/api/messages`, connections: 64, duration: 2, ...x.req });
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const x of order) {
      const pg0 = dialect === 'postgres' ? await pgBackendCpu(x.app) : undefined;
      const batches0 = await batches(x.s.url);
      const ticks0 = machineTicks();
      const l = await measuredRun(x.s, { url: `${x.s.url}/api/messages`, connections: 64, duration: seconds, ...x.req });
      const idle = idleShare(ticks0, machineTicks());
      const b = (await batches(x.s.url)) - batches0;
      const done = l.rps * seconds;
      const pgCpu = pg0 ? `, postgres ${Math.round((pgCpuBetween(pg0, await pgBackendCpu(x.app)) * 1e6) / done)} µs CPU/request` : '';
      const extra = `${pgCpu}; ${b} batches (${(done / b).toFixed(1)} requests each)`;
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
      console.log(
        `round ${r + 1} ${x.name}: ${Math.round(l.rps)}/s, ${l.cpuUs} µs CPU/request (main thread ${l.mainUs ?? '-'}), machine ${idle.toFixed(0)}% idle, p99 ${l.p99} ms, bad ${l.bad}${extra}${open}; load ${load()}`,
      );
    }
  }
} finally {
  for (const x of servers) await x.s.stop();
  for (const d of dbs) await d.dispose();
}
