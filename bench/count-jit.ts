/**
 * V8's optimizations and deoptimizations during a steady metered load (issue 21, goal 3): the
 * built server under `--trace-opt --trace-deopt` (its stdout is the bench log), one funded
 * user's metered `POST /api/messages` at 64 connections: WARM requests, then the log's length
 * marked, then REQUESTS more, and what V8 logged in those counted, by kind and by function.
 * Counts per request do not move with the machine's load. A function optimized and
 * deoptimized again and again in a steady state costs the compiler threads' CPU each time.
 *
 *   npm run build:server && npx tsx bench/count-jit.ts [REQUESTS] [WARM] [sqlite|postgres|both] [server.mjs]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const REQUESTS = Number(process.argv[2] ?? 20_000);
const WARM = Number(process.argv[3] ?? 20_000);
const which = process.argv[4] ?? 'both';
const script = process.argv[5];
const dialects: Dialect[] = which === 'both' ? ['sqlite', 'postgres'] : [which as Dialect];

for (const dialect of dialects) {
  const db = await benchDb(dialect);
  const dir = db.env.DATA_DIR as string;
  const s = await startServerProc(db, {}, script, ['--trace-opt', '--trace-deopt']);
  const log = () => join(dir, readdirSync(dir).find((f) => f.startsWith('server-')) as string);
  try {
    const { token } = await fundedUser(s.url, `jit-${dialect}@example.com`, 500_000_000);
    const req = { url: `${s.url}/api/messages`, connections: 64, ...meteredRequest(token) };
    await autocannonRun({ ...req, amount: WARM });
    const mark = statSync(log()).size;
    await autocannonRun({ ...req, amount: REQUESTS });
    await new Promise((r) => setTimeout(r, 300));
    const text = readFileSync(log()).subarray(mark).toString();
    const kinds = new Map<string, number>();
    const fns = new Map<string, number>();
    for (const line of text.split('\n')) {
      const k = /^\[(bailout|marking|compiling method|completed compiling|optimizing|completed optimizing|deoptimiz\w*)/.exec(line)?.[1];
      if (!k) continue;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      if (k.startsWith('bailout') || k.startsWith('deopt') || k.startsWith('marking')) {
        const fn = /<JSFunction ([^ >]+)/.exec(line)?.[1] ?? '?';
        const reason = /reason: ([^)\]]+)/.exec(line)?.[1] ?? '';
        const key = `${k}: ${fn}${reason ? ` (${reason.trim()})` : ''}`;
        fns.set(key, (fns.get(key) ?? 0) + 1);
      }
    }
    console.log(`\n${dialect}: ${REQUESTS} requests counted after ${WARM}`);
    for (const [k, n] of kinds) console.log(`  ${n}  ${k}`);
    for (const [k, n] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${n}  ${k}`);
  } finally {
    await s.stop();
    await db.dispose();
  }
}
