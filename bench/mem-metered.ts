/**
 * What the server's RSS under the metered load is made of, and what each suspect adds:
 * `npx tsx bench/mem-metered.ts [--dialect sqlite|postgres] [--seconds S] [--rounds N]
 * [--variants base,strength-off,...] [--after S] [--workers] [--gc] [--maps]`.
 *
 * Each variant is a fresh bench/server.mjs (BENCH_MEM=1) and database: a user signed up and
 * funded as `npm run bench` does (bench/http.ts fundedUser: the sign-up starts the password
 * strength worker), with --after, that many seconds of GET /health/live (in `npm run bench`
 * the metered runs start 26 s or more after the sign-up), a 2 s warm-up, then S seconds of the metered POST /api/messages at 64
 * connections (autocannon), with /bench/mem sampled every second (process.memoryUsage, V8's
 * heap by space, /proc/self/smaps_rollup, threads). Printed per variant and round: the
 * highest RSS sample and its breakdown, requests/s and the server's CPU per request. The
 * variants run in rotating order per round, so the machine's load hits all alike.
 *
 * Variants (one suspect each): `base`; `strength-off` (the strength worker ended after the
 * sign-up, as its idle timer would a minute later); `checkpointer-off` (SQLite: the WAL
 * checkpointer's worker ended, the connection checkpoints itself); `logger-off`
 * (BENCH_LOGGER=off); `no-pipeline` / `no-prepared` (PostgreSQL: PG_PIPELINED_WRITES /
 * PG_PREPARED_WRITES false); `arena2` (MALLOC_ARENA_MAX=2); `deploy-off` (without the
 * MALLOC_ARENA_MAX and NODE_OPTIONS of deploy/credits.service, which every bench server
 * otherwise gets: bench/http.ts deployEnvironment); `semi8` (node
 * --max-semi-space-size=8); `env:K=V;K=V` and `node:--flag` for others; `server:<path>` runs
 * another build's bench/server.mjs (with BENCH_MEM support) as it is. `--workers` also
 * weighs each worker's live heap from a heap snapshot at the end of the load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dialect } from '../src/db/open.js';
import { arg, load } from './common.js';
import { benchDb, fundedUser, measuredRun, meteredRequest, startServerProc } from './http.js';

const args = process.argv.slice(2);
const dialect = (arg('dialect') ?? 'sqlite') as Dialect;
const seconds = Number(arg('seconds') ?? 10);
const rounds = Number(arg('rounds') ?? 1);
const variants = (arg('variants') ?? 'base,strength-off').split(',');
const weighWorkers = args.includes('--workers');
/** Also after a full collection at the end (node --expose-gc; the flag is added to every variant). */
const afterGc = args.includes('--gc');
const showMaps = args.includes('--maps');
/** At the end, the RSS given back when the strength worker is ended (it is, if still running). */
const drop = args.includes('--drop');
const script = arg('server');
/** Seconds of GET /health/live load between the setup and the metered load (bench/http.ts runs other routes for 26 s or more first). */
const after = Number(arg('after') ?? 0);

interface Mem {
  mem: NodeJS.MemoryUsage;
  heap: { total_heap_size: number; used_heap_size: number; malloced_memory: number; external_memory: number };
  spaces: Record<string, { size: number; used: number }>;
  rollup: Record<string, number>;
  threads: number;
  workers: { kind: string; snapshotBytes?: number }[];
  maps?: string[];
}

type Setup = { env: Record<string, string>; node: string[]; off?: string; script?: string };

/** A variant, or several joined with `+` (`strength-off+arena2`). */
function setup(v: string): Setup {
  return v.split('+').reduce<Setup>(
    (acc, part) => {
      const x = setupOne(part);
      return { env: { ...acc.env, ...x.env }, node: [...acc.node, ...x.node], off: x.off ?? acc.off, script: x.script ?? acc.script };
    },
    { env: {}, node: [] },
  );
}

function setupOne(v: string): Setup {
  if (v === 'base') return { env: {}, node: [] };
  // Another build's bench/server.mjs (a copy of an earlier commit with its own dist/), for A/B.
  if (v.startsWith('server:')) return { env: {}, node: [], script: v.slice(7) };
  if (v === 'strength-off') return { env: {}, node: [], off: 'strength' };
  if (v === 'checkpointer-off') return { env: {}, node: [], off: 'checkpointer' };
  if (v === 'logger-off') return { env: { BENCH_LOGGER: 'off' }, node: [] };
  if (v === 'no-pipeline') return { env: { PG_PIPELINED_WRITES: 'false' }, node: [] };
  if (v === 'no-prepared') return { env: { PG_PREPARED_WRITES: 'false' }, node: [] };
  if (v === 'arena2') return { env: { MALLOC_ARENA_MAX: '2' }, node: [] };
  // Without deploy/credits.service's memory settings (startServerProc drops variables given as '').
  if (v === 'deploy-off') return { env: { MALLOC_ARENA_MAX: '', NODE_OPTIONS: '' }, node: [] };
  if (v === 'semi8') return { env: {}, node: ['--max-semi-space-size=8'] };
  if (v.startsWith('env:')) {
    return {
      env: Object.fromEntries(
        v
          .slice(4)
          .split(';')
          .map((kv) => kv.split('=') as [string, string]),
      ),
      node: [],
    };
  }
  if (v.startsWith('node:')) return { env: {}, node: v.slice(5).split(';') };
  throw new Error(`unknown variant ${v}`);
}

const mb = (x: number | undefined) => Math.round((x ?? 0) / 2 ** 20);

async function one(v: string) {
  const s = setup(v);
  const db = await benchDb(dialect);
  const server = await startServerProc(db, { BENCH_MEM: '1', ...s.env }, s.script ?? script, [
    ...(afterGc ? ['--expose-gc'] : []),
    ...s.node,
  ]);
  const get = async (q = '') => (await (await fetch(`${server.url}/bench/mem${q}`)).json()) as Mem;
  try {
    const { token } = await fundedUser(server.url, `mem-${dialect}@example.com`, 500_000_000);
    if (s.off) await fetch(`${server.url}/bench/off/${s.off}`, { method: 'POST' });
    const idle = await get();
    const req = meteredRequest(token);
    if (after > 0) await measuredRun(server, { url: `${server.url}/health/live`, connections: 64, duration: after });
    await measuredRun(server, { url: `${server.url}/api/messages`, connections: 64, duration: 2, ...req });
    let top: Mem | undefined;
    const sampler = setInterval(() => {
      get()
        .then((m) => {
          if (!top || m.mem.rss > top.mem.rss) top = m;
        })
        .catch(() => {});
    }, 1000);
    let l: Awaited<ReturnType<typeof measuredRun>>;
    try {
      l = await measuredRun(server, { url: `${server.url}/api/messages`, connections: 64, duration: seconds, ...req });
    } finally {
      clearInterval(sampler);
    }
    const end = await get(`?maps=${showMaps ? 1 : 0}&workers=${weighWorkers ? 1 : 0}`);
    if (!top || end.mem.rss > top.mem.rss) top = end;
    const gced = afterGc ? await get('?gc=1') : undefined;
    let dropped = '';
    if (drop) {
      const a = await get();
      await fetch(`${server.url}/bench/off/strength`, { method: 'POST' });
      await new Promise((r) => setTimeout(r, 1000));
      const b = await get();
      dropped = ` | strength worker ${a.workers.some((w) => w.kind === 'strength') ? 'running' : 'gone'} at the end, ending it: rss ${mb(a.mem.rss)} -> ${mb(b.mem.rss)} MB`;
    }
    const t = top;
    const sp = (n: string) => `${mb(t.spaces[n]?.size)}/${mb(t.spaces[n]?.used)}`;
    console.log(
      `${v.padEnd(16)} rss max ${mb(t.mem.rss)} MB (idle before load ${mb(idle.mem.rss)}, end ${mb(end.mem.rss)}) | ${Math.round(l.rps)}/s, ${l.cpuUs} µs CPU/req, bad ${l.bad} | ` +
        `heap ${mb(t.mem.heapTotal)} committed/${mb(t.mem.heapUsed)} used (new ${sp('new_space')}, old ${sp('old_space')}, code ${sp('code_space')}, large ${sp('large_object_space')}), ` +
        `malloced ${mb(t.heap.malloced_memory)}, external ${mb(t.mem.external)}, arrayBuffers ${mb(t.mem.arrayBuffers)} | ` +
        `smaps: anon ${mb(t.rollup.Anonymous)}, file ${mb((t.rollup.Rss ?? 0) - (t.rollup.Anonymous ?? 0) - (t.rollup.Shmem ?? 0))}, shmem ${mb(t.rollup.Shmem)} | ` +
        `threads ${t.threads}, workers [${t.workers.map((w) => w.kind).join(', ')}]` +
        (weighWorkers ? ` live heaps at end: ${end.workers.map((w) => `${w.kind} ${mb(w.snapshotBytes)} MB`).join(', ')}` : '') +
        dropped +
        (gced ? ` | after a full GC: rss ${mb(gced.mem.rss)}, heap ${mb(gced.mem.heapTotal)} committed/${mb(gced.mem.heapUsed)} used` : ''),
    );
    if (showMaps) for (const m of end.maps ?? []) console.log(`    ${m}`);
    if (s.node.includes('--trace-gc-nvp')) {
      // Per young collection: bytes promoted to the old generation and its pause; the full ones.
      const dir = db.env.DATA_DIR as string;
      let promoted = 0;
      let young = 0;
      let youngMs = 0;
      let full = 0;
      let fullMs = 0;
      for (const f of readdirSync(dir).filter((x) => x.startsWith('server-'))) {
        for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) {
          const gc = l.match(/ pause=([\d.]+) .*gc=(\w+)/) ?? l.match(/ gc=(\w+)/);
          const kind = l.match(/ gc=(\w+)/)?.[1];
          const pause = Number(l.match(/ pause=([\d.]+)/)?.[1] ?? 0);
          if (!gc || !kind) continue;
          if (kind === 's' || kind === 'mmc') {
            young++;
            youngMs += pause;
            promoted += Number(l.match(/ promoted=(\d+)/)?.[1] ?? 0);
          } else if (kind === 'mc' || kind === 'ms') {
            full++;
            fullMs += pause;
          }
        }
      }
      console.log(
        `    whole run: ${young} young collections (${Math.round(youngMs)} ms), ${mb(promoted)} MB promoted; ${full} full (${Math.round(fullMs)} ms)`,
      );
    } else if (s.node.includes('--trace-gc')) {
      // The trace goes to stdout, the server's log file: its full collections.
      const dir = db.env.DATA_DIR as string;
      for (const f of readdirSync(dir).filter((x) => x.startsWith('server-'))) {
        for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l.includes('Mark-Compact')) console.log(`    ${l.trim()}`);
      }
    }
  } finally {
    await server.stop();
    await db.dispose();
  }
}

console.log(`${dialect}, ${seconds} s metered per variant, ${rounds} round(s), load ${load()}`);
for (let r = 0; r < rounds; r++) {
  const order = variants.map((_, i) => variants[(i + r) % variants.length] as string);
  for (const v of order) await one(v);
}
console.log(`load ${load()}`);
