/**
 * The CPU of a route sampled by Linux perf (cpu-clock, kernel included), on the real CPU rather
 * than valgrind's emulated one: `npx tsx bench/perf-route.ts [metered|live|bare|floor] [seconds]`
 * (`floor`: the metered route of bench/floor-metered.mjs, the contract's rows and none of our code;
 * its own JavaScript counts as "other JS")
 * (after `npm run build:server`; COUNT_DIALECT=postgres for PostgreSQL, then PostgreSQL's backends
 * are sampled too, system-wide). The server (bench/server.mjs with --perf-basic-prof, so perf
 * names the JIT code; load shedding off) takes 64 connections of saturated autocannon; after
 * 3 s of warm-up `perf record -e cpu-clock -F 999 -g` samples it for `seconds`. The report
 * groups the samples by owner (scripts: bench/perf-owners.py): the kernel, SQLite, better-sqlite3,
 * OpenSSL, V8's GC, node, Fastify, Kysely and our own code. Issue 21, goals 1 to 3: what of a
 * request is the kernel's and the database's, and what is our code's. ACCOUNTS=N (metered) spreads
 * the load over N funded accounts, connection i sending as account i mod N (as prof-pg-batch.ts's
 * `accounts` mode). RATE=N: the sampled load is an open loop at N requests a second (bench/open-loop.ts)
 * instead of saturated autocannon, for what a request costs at a rate below capacity (goal 4).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { load } from './common.js';
import { openLoop } from './open-loop.js';
import { autocannonRun, benchDb, fundedTokens, spreadMeteredRequest, startServerProc } from './http.js';

const route = process.argv[2] ?? 'metered';
const seconds = Number(process.argv[3] ?? 5);
const dialect = (process.env.COUNT_DIALECT ?? 'sqlite') as Dialect;
const BARE = new URL('./bare.mjs', import.meta.url).pathname;
const FLOOR = new URL('./floor-metered.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'perf-route-'));
const db = await benchDb(dialect);
const script = route === 'bare' ? BARE : route === 'floor' ? FLOOR : undefined;
const server = await startServerProc(db, { MAX_EVENT_LOOP_DELAY_MS: '0' }, script, ['--perf-basic-prof']);
try {
  let opts: Parameters<typeof autocannonRun>[0] = { url: `${server.url}/health/live`, connections: 64 };
  if (route === 'bare') opts = { url: `${server.url}/`, connections: 64 };
  if (route === 'metered' || route === 'floor') {
    // The floor (one account) answers what fundedTokens asks and ignores the token.
    const tokens = await fundedTokens(server.url, 'perf-route', route === 'floor' ? 1 : Number(process.env.ACCOUNTS ?? 1), 50_000_000);
    opts = { url: `${server.url}/api/messages`, connections: 64, ...spreadMeteredRequest(tokens) };
  }
  await autocannonRun({ ...opts, duration: 3 });
  const out = join(dir, 'perf.data');
  const target = dialect === 'postgres' ? ['-a'] : ['-p', String(server.child.pid)];
  const rate = Number(process.env.RATE ?? 0);
  const running = rate
    ? openLoop(opts.url, rate, seconds + 2, {
        method: opts.method,
        headers: opts.headers as Record<string, string> | undefined,
        body: opts.body as string | undefined,
      })
    : autocannonRun({ ...opts, duration: seconds + 2 });
  await new Promise((r) => setTimeout(r, 1000));
  // Not spawnSync: autocannon runs in this process's event loop, which must not block.
  const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', '-g', '-o', out, ...target, '--', 'sleep', String(seconds)], {
    stdio: 'inherit',
  });
  const status = await new Promise((r) => perf.once('exit', r));
  if (status !== 0) throw new Error(`perf record failed (${status})`);
  const r = await running;
  console.log(
    `${dialect} ${route}: ${Math.round(r.rps).toLocaleString('en')}/s, ${r.bad} bad; load average ${load()}; pid ${server.child.pid}; data ${out}`,
  );
  const py = spawn(
    'python3',
    [new URL('./perf-owners.py', import.meta.url).pathname, out, String(server.child.pid), String(Math.round(r.rps * seconds))],
    {
      stdio: 'inherit',
    },
  );
  await new Promise((r) => py.once('exit', r));
} finally {
  await server.stop();
  await db.dispose();
}
