/**
 * Statements per metered request, by origin (issue 21, goal 3): the built server with
 * bench/count-queries.mjs preloaded, on SQLite and on PostgreSQL, one funded user's metered
 * `POST /api/messages` (as bench/http.ts sends it) at 64 connections: a warm-up, the counts
 * reset, then exactly REQUESTS requests (autocannon `amount`) and the counts read. A count,
 * not a time: it does not move with the machine's load.
 *
 *   npm run build:server && npx tsx bench/count-queries.ts [REQUESTS] [sqlite|postgres|both] [server.mjs]
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const REQUESTS = Number(process.argv[2] ?? 4000);
const which = process.argv[3] ?? 'both';
const script = process.argv[4];
const PRELOAD = new URL('./count-queries.mjs', import.meta.url).pathname;
const dialects: Dialect[] = which === 'both' ? ['sqlite', 'postgres'] : [which as Dialect];

for (const dialect of dialects) {
  const db = await benchDb(dialect);
  const out = join(tmpdir(), `count-queries-${process.pid}-${dialect}.json`);
  const server = await startServerProc(db, { COUNT_QUERIES_OUT: out }, script, ['--import', PRELOAD]);
  const dump = async () => {
    server.child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 300));
    const counts = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>;
    rmSync(out, { force: true });
    return counts;
  };
  try {
    const { token } = await fundedUser(server.url, `count-${dialect}@example.com`, 500_000_000);
    const req = { url: `${server.url}/api/messages`, connections: 64, ...meteredRequest(token) };
    await autocannonRun({ ...req, amount: 4000 });
    await dump();
    const t0 = performance.now();
    const run = await autocannonRun({ ...req, amount: REQUESTS });
    const ms = performance.now() - t0;
    const counts = await dump();
    const total = Object.values(counts).reduce((s, n) => s + n, 0);
    console.log(
      `\n${dialect}: ${REQUESTS} requests (${run.bad} bad) in ${Math.round(ms)} ms: ${total} statements, ${(total / REQUESTS).toFixed(3)} a request`,
    );
    console.log('| statements a request | count | origin: statement |\n|---:|---:|---|');
    for (const [k, n] of Object.entries(counts).sort((a, b) => b[1] - a[1]))
      console.log(`| ${(n / REQUESTS).toFixed(4)} | ${n} | ${k.replace(/\|/g, '\\|')} |`);
  } finally {
    await server.stop();
    await db.dispose();
  }
}
