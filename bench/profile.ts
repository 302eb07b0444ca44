/**
 * CPU profiles of the HTTP routes (`npm run bench -- --only profile`, and appended to
 * bench/analysis.md by every run that measures HTTP): each route is driven by autocannon
 * against a server process started with `node --cpu-prof`, and the profile is cut to the
 * load window (the server's monotonic clock read before and after), so start-up and
 * migrations are not in it. Reports self time by function and by where the code lives
 * (our code in dist/, each package, Node's internals, GC), as a share of the busy samples,
 * and the server's CPU per answered request from /proc. Shares are of the JavaScript and GC
 * samples ((program), mostly the wait in epoll, is left out). The metered route is profiled
 * beside the floor (bench/floor-metered.mjs: the same request's rows written durably with none
 * of our code), and a table puts the two side by side, place by place, in µs a request.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type autocannon from 'autocannon';
import type { Dialect } from '../src/db/open.js';
import {
  type BenchDb,
  type Load,
  type ServerProc,
  benchDb,
  fundedUser,
  measuredRun,
  meteredRequest,
  setupFetch,
  startServerProc,
} from './http.js';

const BARE = new URL('./bare.mjs', import.meta.url).pathname;
/** The floor of goals 2 to 4: the contract's rows written durably, with none of the service's code. */
const FLOOR = new URL('./floor-metered.mjs', import.meta.url).pathname;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  /** Share of the busy (non-idle) samples of the window. */
  share: number;
}

export interface RouteProfile {
  dialect: Dialect;
  route: string;
  load: Load;
  /** JavaScript + GC time of the main thread in the window, µs per answered request (from the profile). */
  busyUsPerRequest: number;
  byFunction: ProfileRow[];
  byPlace: ProfileRow[];
  /** Every place, not only the top ones (the service beside the floor). */
  everyPlace: ProfileRow[];
}

/** Where a function lives: our code (dist/ path), a package, Node's internals, or V8's pseudo-nodes. */
export function place(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `ours: ${url.slice(dist + 1).replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url.replace(/^file:\/\//, '');
}

/** Self time by function and by place within [fromUs, toUs] of the profile's clock. */
export function summarise(p: CpuProfile, fromUs: number, toUs: number, top = Number(process.env.BENCH_PROFILE_TOP ?? 15)) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const pl = new Map<string, number>();
  let t = p.startTime;
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < fromUs || t > toUs) continue;
    const n = byId.get(p.samples[i] as number);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    // (program) is the thread outside JavaScript (mostly waiting in epoll when the profiler
    // runs without idle notification), (idle) the idle time: neither is work per request.
    if (functionName === '(idle)' || functionName === '(program)') continue;
    // The delta before a sample is the time it stands for.
    const w = p.timeDeltas[i + 1] ?? dt;
    busy += w;
    const short = url ? `${url.replace(/^.*\/(node_modules|dist)\//, '').replace(/^node:/, 'node:')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${short ? ` ${short}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + w);
    const where = place(url, functionName);
    pl.set(where, (pl.get(where) ?? 0) + w);
  }
  const all = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, share: busy > 0 ? us / busy : 0 }));
  const everyPlace = all(pl);
  return { busyUs: busy, byFunction: all(fn).slice(0, top), byPlace: everyPlace.slice(0, top), everyPlace };
}

async function now(url: string): Promise<number> {
  return ((await (await setupFetch(`${url}/bench/now`)).json()) as { us: number }).us;
}

/**
 * Drives `opts` for `seconds` against a fresh server process run with --cpu-prof (after a
 * warm-up), and summarises its profile over the load window.
 */
export async function profileRun(
  db: BenchDb,
  script: string | undefined,
  route: string,
  opts: (url: string) => Promise<autocannon.Options>,
  seconds: number,
  env: Record<string, string> = {},
): Promise<Omit<RouteProfile, 'dialect' | 'route'>> {
  const dir = mkdtempSync(join(tmpdir(), 'credits-bench-prof-'));
  let server: ServerProc | null = null;
  try {
    server = await startServerProc(db, env, script, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const o = await opts(server.url);
    await measuredRun(server, { ...o, duration: Math.min(2, seconds) });
    const from = await now(server.url);
    const load = await measuredRun(server, { ...o, duration: seconds });
    const to = await now(server.url);
    await server.stop();
    server = null;
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no CPU profile written for ${route}`);
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const { busyUs, ...rows } = summarise(p, from, to);
    const answered = load.rps * seconds;
    return { load, busyUsPerRequest: answered > 0 ? Math.round(busyUs / answered) : 0, ...rows };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Profiles of bare Fastify, GET /health/live, the metered route and the floor's metered route on `dialect`. */
export async function profileBench(dialect: Dialect, o: { seconds: number; connections: number; log: (l: string) => void }) {
  const db = await benchDb(dialect);
  const out: RouteProfile[] = [];
  try {
    const c = o.connections;
    const add = async (route: string, script: string | undefined, opts: (url: string) => Promise<autocannon.Options>, on = db) => {
      const r = await profileRun(on, script, route, opts, o.seconds);
      out.push({ dialect, route, ...r });
      o.log(
        `  profile ${dialect} ${route}: ${Math.round(r.load.rps)}/s, ${r.load.cpuUs ?? '-'} µs CPU/request (/proc), ${r.busyUsPerRequest} µs JS+GC; top: ${r.byFunction
          .slice(0, 3)
          .map((x) => `${x.name} ${(x.share * 100).toFixed(1)}%`)
          .join(', ')}`,
      );
    };
    if (dialect === 'sqlite') await add('bare Fastify GET /', BARE, async (url) => ({ url: `${url}/`, connections: c }));
    await add('GET /health/live', undefined, async (url) => ({ url: `${url}/health/live`, connections: c }));
    let token: string | null = null;
    await add(METERED, undefined, async (url) => {
      token ??= (await fundedUser(url, `profile-${dialect}@example.com`)).token;
      return { url: `${url}/api/messages`, connections: c, ...meteredRequest(token) };
    });
    // The floor beside it, on a database of its own: what the same request costs with the
    // contract's rows and none of our code, function by function.
    const floorDb = await benchDb(dialect);
    try {
      await add(
        FLOOR_ROUTE,
        FLOOR,
        async (url) => {
          const t = (await fundedUser(url, `profile-floor-${dialect}@example.com`)).token;
          return { url: `${url}/api/messages`, connections: c, ...meteredRequest(t) };
        },
        floorDb,
      );
    } finally {
      await floorDb.dispose();
    }
  } finally {
    await db.dispose();
  }
  return out;
}

export function profileMarkdown(profiles: RouteProfile[], when: string, loadAvg: string, seconds: number, connections = 64): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const blocks = profiles.map(
    (p) => `#### ${p.dialect}: ${p.route}

${Math.round(p.load.rps).toLocaleString('en')} req/s; server CPU ${p.load.cpuUs ?? '-'} µs per request (/proc, all threads), JavaScript + GC ${p.busyUsPerRequest} µs per request (profile).

| self time | function |
|---:|---|
${p.byFunction.map((r) => `| ${pct(r.share)} | \`${r.name.replace(/\|/g, '\\|')}\` |`).join('\n')}

| self time | where |
|---:|---|
${p.byPlace.map((r) => `| ${pct(r.share)} | ${r.name} |`).join('\n')}`,
  );
  const beside = (['sqlite', 'postgres'] as const).flatMap((d) => {
    const service = profiles.find((p) => p.dialect === d && p.route === METERED);
    const floor = profiles.find((p) => p.dialect === d && p.route === FLOOR_ROUTE);
    return service && floor ? [serviceBesideFloor(d, service, floor)] : [];
  });
  return `### Profile of the run of ${when} (load average ${loadAvg})

Each route on a fresh server process run with \`node --cpu-prof\`, ${connections} connections, ${seconds} s after a 2 s
warm-up, the profile cut to the load window; self time as a share of the main thread's JavaScript and GC samples.

${blocks.join('\n\n')}
${beside.length ? `\n${beside.join('\n\n')}\n` : ''}`;
}

const METERED = 'metered POST /api/messages';
const FLOOR_ROUTE = "the floor's metered POST /api/messages (bench/floor-metered.mjs)";

/**
 * The service's metered request beside the floor's, place by place, in µs of the main
 * thread's JavaScript and GC a request: what the service's own code, and what it asks of
 * Node, Fastify, the GC and the database driver, adds to a durable debit with the same rows.
 */
export function serviceBesideFloor(dialect: Dialect, service: RouteProfile, floor: RouteProfile): string {
  const us = (p: RouteProfile) => new Map(p.everyPlace.map((r) => [r.name, r.share * p.busyUsPerRequest]));
  const a = us(service);
  const b = us(floor);
  // Places are matched by name. The floor's own script (bench/floor-*.mjs) has no row on the
  // service's side; the service's functions the floor calls (openDatabase's commit, newId) count
  // under dist/ on both sides.
  const rows = [...new Set([...a.keys(), ...b.keys()])]
    .map((name) => ({ name, service: a.get(name) ?? 0, floor: b.get(name) ?? 0 }))
    .sort((x, y) => Math.abs(y.service - y.floor) - Math.abs(x.service - x.floor))
    .slice(0, 20);
  const f = (x: number) => x.toFixed(1);
  return `#### ${dialect}: the service's metered request beside the floor's, µs of the main thread a request

${Math.round(service.load.rps).toLocaleString('en')} req/s against ${Math.round(floor.load.rps).toLocaleString('en')} req/s; JavaScript + GC ${service.busyUsPerRequest} against ${floor.busyUsPerRequest} µs a request (the 20 places that differ most; the floor's own script is bench/floor-*.mjs).

| where | service | floor | difference |
|---|---:|---:|---:|
${rows.map((r) => `| ${r.name.replace(/^\/.*\/bench\//, 'bench/')} | ${f(r.service)} | ${f(r.floor)} | ${r.service >= r.floor ? '+' : ''}${f(r.service - r.floor)} |`).join('\n')}`;
}
