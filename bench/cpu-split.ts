/**
 * Where a request's CPU goes by kind: user space and the kernel (utime and stime of every
 * thread, /proc/<pid>/task/<tid>/stat), on the event loop and on the other threads, for bare
 * Fastify (`GET /`), the service's `GET /health/live` and the metered `POST /api/messages`
 * (SQLite, or COUNT_DIALECT=postgres, adding the CPU of the server's PostgreSQL backends).
 * `npx tsx bench/cpu-split.ts [rounds] [seconds]` (after `npm run build:server`): saturated
 * autocannon runs (64 connections), the three alternated each round; µs per answered request.
 * Issue 21, goals 1 and 2: how much of each request is the kernel's (sockets, the WAL's writes
 * and fdatasync), which no change to our JavaScript can take away.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Dialect } from '../src/db/open.js';
import { load, median, pgBackendCpu, pgCpuBetween, withAppName } from './common.js';
import { type autocannonRun, benchDb, fundedUser, meteredRequest, type ServerProc, startServerProc } from './http.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const dialect = (process.env.COUNT_DIALECT ?? 'sqlite') as Dialect;
const BARE = new URL('./bare.mjs', import.meta.url).pathname;

interface Split {
  mainUser: number;
  mainSys: number;
  otherUser: number;
  otherSys: number;
}
/** Seconds of user and kernel CPU of a process's threads, the event loop's (tid = pid) apart. */
function split(pid: number): Split {
  const s: Split = { mainUser: 0, mainSys: 0, otherUser: 0, otherSys: 0 };
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [u, k] = [Number(f[11]) / 100, Number(f[12]) / 100];
      if (Number(t) === pid) {
        s.mainUser += u;
        s.mainSys += k;
      } else {
        s.otherUser += u;
        s.otherSys += k;
      }
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return s;
}

interface Row extends Split {
  rps: number;
  pg: number;
}
async function measure(server: ServerProc, opts: Parameters<typeof autocannonRun>[0], app?: string): Promise<Row> {
  const pid = server.child.pid as number;
  const before = split(pid);
  const pg0 = app ? await pgBackendCpu(app) : undefined;
  const started = performance.now();
  const r = await new Promise<{ total: number }>((resolve, reject) => {
    import('autocannon').then(({ default: autocannon }) =>
      autocannon(opts, (err, res) => (err ? reject(err) : resolve({ total: res.requests.total }))),
    );
  });
  const secs = (performance.now() - started) / 1000;
  const after = split(pid);
  const pg = app && pg0 ? pgCpuBetween(pg0, await pgBackendCpu(app)) : 0;
  const per = (x: number) => (x * 1e6) / r.total;
  return {
    rps: r.total / secs,
    mainUser: per(after.mainUser - before.mainUser),
    mainSys: per(after.mainSys - before.mainSys),
    otherUser: per(after.otherUser - before.otherUser),
    otherSys: per(after.otherSys - before.otherSys),
    pg: per(pg),
  };
}

const db = await benchDb(dialect);
const app = dialect === 'postgres' ? `cpu-split-${process.pid}` : undefined;
const env: Record<string, string> = app && db.env.DATABASE_URL ? { DATABASE_URL: withAppName(db.env.DATABASE_URL, app) } : {};
const server = await startServerProc(db, { ...env, MAX_EVENT_LOOP_DELAY_MS: '0' });
const bare = await startServerProc(db, {}, BARE);
const liveDb = await benchDb(dialect);
const live = await startServerProc(liveDb, { MAX_EVENT_LOOP_DELAY_MS: '0' });
try {
  const { token } = await fundedUser(server.url, 'cpu-split@example.com', 50_000_000);
  const c = 64;
  const routes: [string, ServerProc, Parameters<typeof autocannonRun>[0], string | undefined][] = [
    ['bare Fastify GET /', bare, { url: `${bare.url}/`, connections: c }, undefined],
    ['GET /health/live', live, { url: `${live.url}/health/live`, connections: c }, undefined],
    ['metered POST /api/messages', server, { url: `${server.url}/api/messages`, connections: c, ...meteredRequest(token) }, app],
  ];
  for (const [, s, o, a] of routes) await measure(s, { ...o, duration: 2 }, a);
  const rows = new Map<string, Row[]>(routes.map(([n]) => [n, []]));
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? routes : [...routes].reverse();
    for (const [n, s, o, a] of order) rows.get(n)?.push(await measure(s, { ...o, duration: seconds }, a));
  }
  console.log(`${dialect}, ${rounds} rounds of ${seconds} s, 64 connections; load average ${load()}`);
  console.log('µs a request (median of the rounds): event loop user / kernel, other threads user / kernel, PostgreSQL backends, all');
  for (const [n, rs] of rows) {
    const m = (k: keyof Row) => median(rs.map((r) => r[k]));
    const all = median(rs.map((r) => r.mainUser + r.mainSys + r.otherUser + r.otherSys + r.pg));
    console.log(
      `${n.padEnd(28)} ${Math.round(m('rps')).toLocaleString('en').padStart(7)}/s  loop ${m('mainUser').toFixed(1)} / ${m('mainSys').toFixed(1)}  other ${m('otherUser').toFixed(1)} / ${m('otherSys').toFixed(1)}  pg ${m('pg').toFixed(1)}  all ${all.toFixed(1)}`,
    );
    for (const r of rs)
      console.log(
        `  round: ${Math.round(r.rps)}/s loop ${r.mainUser.toFixed(1)}/${r.mainSys.toFixed(1)} other ${r.otherUser.toFixed(1)}/${r.otherSys.toFixed(1)} pg ${r.pg.toFixed(1)}`,
      );
  }
} finally {
  await Promise.all([server.stop(), bare.stop(), live.stop()]);
  await Promise.all([db.dispose(), liveDb.dispose()]);
}
