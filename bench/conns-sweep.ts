/**
 * Capacity against the connections in flight (issue 21, goals 2 and 3): bare Fastify (`GET /`),
 * the floor's and the service's metered `POST /api/messages` on SQLite (DIALECT=postgres: on
 * PostgreSQL), each in a closed loop (autocannon) at each number of connections, alternated,
 * with the server's CPU a request (its main thread's part) and the machine's CPU time by kind
 * over the run (/proc/stat).
 * `npx tsx bench/conns-sweep.ts` (after `npm run build:server`); CONNS (default 32,64,128,256),
 * SERVERS (default bench/bare.mjs,bench/floor-metered.mjs,bench/server.mjs; a script may take
 * environment after a `?`, as a query string: `bench/floor-metered.mjs?FLOOR_WORKER=1`), ROUNDS (2),
 * SECONDS (5).
 *
 * The goals are measured at 64 connections. This says whether a process is at its plateau
 * there, or waiting on its batches with fewer requests in flight than it could take.
 */
import type { Dialect } from '../src/db/open.js';
import { machineShares, machineTicks } from './common.js';
import { type BenchDb, benchDb, fundedUser, measuredRun, meteredRequest, type ServerProc, startServerProc } from './http.js';

const conns = (process.env.CONNS ?? '32,64,128,256').split(',').map(Number);
const servers = (process.env.SERVERS ?? 'bench/bare.mjs,bench/floor-metered.mjs,bench/server.mjs').split(',');
const rounds = Number(process.env.ROUNDS ?? 2);
const dialect = (process.env.DIALECT ?? 'sqlite') as Dialect;
const seconds = Number(process.env.SECONDS ?? 5);

/** The machine's CPU time between two machineTicks() by kind, in % of all of it. */
function byKind(a: number[], b: number[]): string {
  return Object.entries(machineShares(a, b))
    .map(([kind, pc]) => `${kind} ${pc.toFixed(0)}%`)
    .join(' ');
}

interface Proc {
  script: string;
  db: BenchDb;
  s: ServerProc;
  url: string;
  req: Record<string, unknown>;
}
const procs: Proc[] = [];
try {
  for (const name of servers) {
    const [script = name, query = ''] = name.split('?');
    const env = Object.fromEntries(new URLSearchParams(query));
    const db = await benchDb(dialect);
    const s = await startServerProc(db, { METRICS_TOKEN: 'conns-sweep-metrics-token', ...env }, script).catch(async (e) => {
      await db.dispose();
      throw e;
    });
    // Kept before its set-up, so a failed sign-up still stops it (the `finally` below).
    const p: Proc = { script: name, db, s, url: `${s.url}/`, req: { method: 'GET' } };
    procs.push(p);
    if (script.endsWith('bare.mjs')) continue;
    const { token } = await fundedUser(s.url, `conns-${procs.length}@example.com`, 50_000_000);
    p.url = `${s.url}/api/messages`;
    p.req = meteredRequest(token);
  }
  for (const p of procs) await measuredRun(p.s, { url: p.url, connections: 64, duration: 2, ...p.req });
  for (let r = 0; r < rounds; r++) {
    for (const c of conns) {
      for (const p of procs) {
        const t0 = machineTicks();
        const l = await measuredRun(p.s, { url: p.url, connections: c, duration: seconds, ...p.req });
        console.log(
          `round ${r + 1} ${p.script}, ${c} connections: ${Math.round(l.rps)}/s, p50 ${l.p50} p99 ${l.p99} ms, ${l.cpuUs} µs CPU/request (main thread ${l.mainUs}), machine ${byKind(t0, machineTicks())}, bad ${l.bad}`,
        );
      }
    }
  }
} finally {
  for (const p of procs) {
    await p.s.stop();
    await p.db.dispose();
  }
}
