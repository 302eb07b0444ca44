/**
 * HTTP sections of `npm run bench`, each against real server processes (bench/server.mjs:
 * the built service plus a bare hello route) with autocannon in this process, so the load
 * generator never shares the server's thread:
 *
 * - http: the metered POST /api/messages (JWT, validation, credit check and deduction,
 *   ledger row, usage row, rollup, one log line) against GET /bench/hello of the same server.
 * - durability: the metered route under each durability setting (SQLite synchronous FULL
 *   and NORMAL; Postgres synchronous_commit on and off).
 * - scale-out: two server processes on one Postgres against one, same total load.
 * - analytics: GET /api/credits/usage (90 days by day) for a user with 1,000,000 usage rows,
 *   against computing the same report from the raw usage rows.
 * - memory and start: RSS of the server under the HTTP load, time from spawn to ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import SQLite from 'better-sqlite3';
import type { Dialect } from '../src/db/open.js';
import { PG_URL, load, median, pgBackendCpu, pgCpuBetween, pgQuery, withAppName } from './common.js';
import { openLoop } from './open-loop.js';

const SERVER = new URL('./server.mjs', import.meta.url).pathname;
const BARE = new URL('./bare.mjs', import.meta.url).pathname;
const FLOOR = new URL('./floor-metered.mjs', import.meta.url).pathname;
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';
export const LEDGER_KEY = 'bench-ledger-key-bench-ledger-key-0123456789';
export const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password' };

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  bad: number;
  /** Server CPU (user + system) per answered request, microseconds, when measured. */
  cpuUs?: number;
  /** The part of cpuUs spent on the server's main thread (the event loop); the rest is its other threads. */
  mainUs?: number;
}

export interface ServerProc {
  url: string;
  /** Spawn to the ready line, wall clock (includes Node's own start). */
  startMs: number;
  child: ChildProcess;
  rss(): Promise<number>;
  /** CPU seconds (user + system) the process has used so far, from /proc (Linux), or NaN. */
  cpu(): number;
  /** The same for its main thread alone (the event loop), or NaN. */
  mainCpu(): number;
  stop(): Promise<void>;
}

/**
 * CPU seconds of a process from /proc/<pid>/stat (utime + stime, in clock ticks of 1/100 s);
 * with `thread`, of that thread alone (/proc/<pid>/task/<thread>/stat: the main thread's id is the pid).
 */
export function cpuSeconds(pid: number | undefined, thread?: number): number {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** A database for one section: a fresh SQLite directory or Postgres schema. */
export interface BenchDb {
  dialect: Dialect;
  env: Record<string, string>;
  sqlitePath?: string;
  schema?: string;
  dispose(): Promise<void>;
}

let dbSeq = 0;
export async function benchDb(dialect: Dialect): Promise<BenchDb> {
  const dir = mkdtempSync(join(tmpdir(), 'credits-bench-http-'));
  if (dialect === 'sqlite') {
    return {
      dialect,
      env: { DATA_DIR: dir },
      sqlitePath: join(dir, 'credits.db'),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `bench_http_${process.pid}_${dbSeq++}`;
  await pgQuery(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  return {
    dialect,
    schema,
    env: { DATA_DIR: dir, DATABASE_URL: PG_URL, BENCH_PG_SCHEMA: schema },
    dispose: async () => {
      rmSync(dir, { recursive: true, force: true });
      await pgQuery(`drop schema if exists ${schema} cascade`);
    },
  };
}

/**
 * The `Environment=` lines of deploy/credits.service (NODE_ENV, MALLOC_ARENA_MAX, NODE_OPTIONS):
 * the bench's servers run as the service is deployed. A variable given as '' by a caller is
 * left out (bench/mem-metered.ts's `deploy-off`).
 */
export function deployEnvironment(): Record<string, string> {
  const unit = readFileSync(new URL('../deploy/credits.service', import.meta.url), 'utf8');
  return Object.fromEntries(
    unit
      .split('\n')
      .filter((l) => l.startsWith('Environment='))
      .map((l) => {
        const kv = l.slice('Environment='.length);
        const at = kv.indexOf('=');
        return [kv.slice(0, at), kv.slice(at + 1)];
      }),
  );
}

/**
 * The node flags of deploy/credits.service's `ExecStart=` (between node and the script:
 * `--no-allocation-site-pretenuring`, which NODE_OPTIONS does not accept): every bench server
 * gets them, before a caller's own.
 */
export function deployNodeArgs(): string[] {
  const unit = readFileSync(new URL('../deploy/credits.service', import.meta.url), 'utf8');
  const line = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  const words = (line ?? '').slice('ExecStart='.length).split(' ').filter(Boolean);
  return words.slice(1).filter((w) => w.startsWith('--'));
}

/** Starts bench/server.mjs (with deploy/credits.service's environment and node flags); its log (info level, one line per request) goes to a file. */
export async function startServerProc(
  db: BenchDb,
  extraEnv: Record<string, string> = {},
  script = SERVER,
  nodeArgs: string[] = [],
  /** A program the server runs under (`['valgrind', '--tool=callgrind', ...]`, bench/count-metered.ts), node after it. */
  wrapper: string[] = [],
): Promise<ServerProc> {
  const logPath = join(db.env.DATA_DIR as string, `server-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const logFd = openSync(logPath, 'a');
  const started = performance.now();
  // node itself, or the wrapper with node as its first argument.
  const [command, ...args] = [...wrapper, process.execPath, ...deployNodeArgs(), ...nodeArgs, script];
  const env: Record<string, string> = {
    ...deployEnvironment(),
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    JWT_SECRET,
    LEDGER_KEY,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ALLOW_SIMULATED_PAYMENTS: 'true',
    SUPER_ADMIN_EMAIL: ADMIN.email,
    SUPER_ADMIN_PASSWORD: ADMIN.password,
    AUTH_RATE_LIMIT: '100000',
    ...db.env,
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
  const child = spawn(command ?? process.execPath, args, { env, stdio: ['ignore', logFd, 'pipe'] });
  closeSync(logFd);
  const ready = await new Promise<{ url: string }>((resolve, reject) => {
    let err = '';
    const onData = (d: Buffer) => {
      err += d.toString();
      const line = err.split('\n').find((l) => l.includes('"readyMs"'));
      if (line) {
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve(JSON.parse(line) as { url: string });
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bench server exited (${code}) before ready:\n${err}`)));
  });
  const startMs = performance.now() - started;
  const url = ready.url;
  return {
    url,
    startMs,
    child,
    rss: async () => ((await (await setupFetch(`${url}/bench/rss`)).json()) as { rss: number }).rss,
    cpu: () => cpuSeconds(child.pid),
    mainCpu: () => cpuSeconds(child.pid, child.pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `fetch` for the bench's own setup and plumbing (sign-up, funding, probes), never for the
 * measured load: a 503 (the event-loop-delay shedding's `overloaded`, or the writer's full
 * queue, both answered before anything is done) is retried with exponential backoff, honouring
 * Retry-After, for up to about a minute, so a loaded machine slows the run instead of aborting
 * it. Any other answer, or the last 503, is returned as is.
 */
export async function setupFetch(url: string, init?: RequestInit): Promise<Response> {
  const deadline = performance.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(url, init);
    if (r.status !== 503 || performance.now() >= deadline) return r;
    await r.arrayBuffer();
    const after = Number(r.headers.get('retry-after'));
    const backoff = Math.min(8000, 250 * 2 ** attempt);
    const wait = Math.max(Number.isFinite(after) ? after * 1000 : 0, backoff) * (0.75 + Math.random() / 2);
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(0, deadline - performance.now()))));
  }
}

export async function post(url: string, body: unknown, token?: string) {
  const r = await setupFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`${url}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** Registers a user and gives them `credits` through an admin adjustment; returns their token and id. */
export async function fundedUser(url: string, email: string, credits = 5_000_000) {
  const reg = (await post(`${url}/api/auth/register`, { email, password: 'bench-password', name: 'Bench' })) as {
    token: string;
    user: { id: string };
  };
  const admin = (await post(`${url}/api/auth/login`, ADMIN)) as { token: string };
  await post(`${url}/api/admin/users/${reg.user.id}/adjustments`, { amount: credits, reason: 'benchmark credits' }, admin.token);
  return { token: reg.token, userId: reg.user.id };
}

export function autocannonRun(opts: autocannon.Options): Promise<Load> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err);
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.errors + r.non2xx + r.timeouts });
    });
  });
}

/** How many accounts the `spread` figure's metered load is spread over. */
export const SPREAD_ACCOUNTS = 64;

/** The tokens of `n` funded users (`<prefix>-<i>@example.com`), made one after another. */
export async function fundedTokens(url: string, prefix: string, n: number, credits?: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) tokens.push((await fundedUser(url, `${prefix}-${i}@example.com`, credits)).token);
  return tokens;
}

/**
 * The metered request spread over `tokens`: autocannon calls setupClient once per connection,
 * so connection i sends as `tokens[i mod n]` (one token: every connection the same).
 */
export function spreadMeteredRequest(tokens: string[]): Pick<autocannon.Options, 'method' | 'headers' | 'body' | 'setupClient'> {
  const first = meteredRequest(tokens[0] as string);
  if (tokens.length <= 1) return first;
  let next = 0;
  return {
    ...first,
    setupClient: (client) => client.setHeaders(meteredRequest(tokens[next++ % tokens.length] as string).headers ?? {}),
  };
}

export function meteredRequest(token: string): Pick<autocannon.Options, 'method' | 'headers' | 'body'> {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ to: '+15551234567', body: 'Hello from the benchmark' }),
  };
}

export const medianLoad = (xs: Load[]): Load => ({
  rps: median(xs.map((x) => x.rps)),
  p50: median(xs.map((x) => x.p50)),
  p99: median(xs.map((x) => x.p99)),
  bad: xs.reduce((s, x) => s + x.bad, 0),
  ...(xs.every((x) => x.cpuUs !== undefined) ? { cpuUs: median(xs.map((x) => x.cpuUs as number)) } : {}),
  ...(xs.every((x) => x.mainUs !== undefined) ? { mainUs: median(xs.map((x) => x.mainUs as number)) } : {}),
});

/**
 * One autocannon run against `server`, with the server's CPU per answered request: on a
 * machine shared with other work, requests per second fall with the CPU the server gets,
 * while CPU per request measures what our code costs (it is what sets the capacity of a
 * core given to the server alone).
 */
export function measuredRun(server: ServerProc, opts: autocannon.Options): Promise<Load> {
  const cpu0 = server.cpu();
  const main0 = server.mainCpu();
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err);
      const cpu = server.cpu() - cpu0;
      const main = server.mainCpu() - main0;
      const done = r.requests.total;
      resolve({
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        bad: r.errors + r.non2xx + r.timeouts,
        // To a tenth of a µs: goal 1's routes cost 11 to 20 µs, where a whole µs is 5 to 9%
        // of the ratio. /proc's ticks (10 ms) over a run's 100,000+ requests are finer than that.
        ...(Number.isFinite(cpu) && done > 0 ? { cpuUs: Math.round((cpu * 1e7) / done) / 10 } : {}),
        ...(Number.isFinite(main) && done > 0 ? { mainUs: Math.round((main * 1e7) / done) / 10 } : {}),
      });
    });
  });
}

export interface HttpOptions {
  seconds: number;
  runs: number;
  connections: number;
  log: (line: string) => void;
}

/** GET /health/live through Fastify's router (a query string: the probe before the router answers only the exact path). */
export const ROUTED_LIVE = '/health/live?via=fastify';

export interface HttpFigure {
  dialect: Dialect;
  /** The stack's limit: bench/bare.mjs, Fastify with no plugins answering {"hello":"world"}. */
  bare: Load;
  /** The service's GET /health/live (answered before Fastify's router: src/server/live-probe.ts). */
  live: Load;
  /**
   * Goal 1: each run's `/health/live` over bare Fastify measured just before or after it (requests/s,
   * and bare's CPU per request over the route's), and their medians.
   */
  liveRatio: { rps: number; cpu: number | undefined; runs: { rps: number; cpu: number | undefined }[] };
  /**
   * The same route through Fastify's pipeline (`/health/live?via=fastify`: a query string
   * sends it there): the router, request and reply, the app's hook, that every other route pays.
   */
  routed: Load;
  metered: Load;
  /**
   * The metered route with the load spread over SPREAD_ACCOUNTS funded accounts (connection i
   * sending as account i mod N): a platform's traffic, where no one account row is every
   * batch's (with one account, PostgreSQL's row lock makes each batch wait for the previous
   * one's commit; bench/analysis.md, "The writer's pipeline again, and goal 3 with many accounts").
   */
  spread: Load;
  /** The metered route at half of its measured capacity (an evenly spaced open loop, bench/open-loop.ts). */
  half: Load & { rate: number };
  /**
   * The floor (bench/floor-metered.mjs): bare Fastify committing each request's debit, the
   * rows the service writes for it, durably through a group commit like the writer's, and
   * nothing of the service's own code:
   * its capacity (closed loop, as `metered`), its p99 at half of that, and at the service's
   * own half-capacity rate; `batchP99` is its batches' p99 from BEGIN to durable (ms) in the
   * open loops at half its capacity.
   */
  floor: { capacity: Load; half: Load & { rate: number }; atServiceRate: Load; batchP99: number[] };
  /** Server RSS sampled during the metered load and at its end (MB), the highest. */
  rssMb: number;
  startMs: number[];
}

/**
 * The bare process, the service's GET /health/live and the metered route, in the same run
 * (each run measures bare and GET /health/live as a pair, then the other routes back to back
 * in rotating order, so drift in the machine's load hits all alike); then the metered route
 * at half its capacity for its p99, alternated with the floor (bench/floor-metered.mjs) at
 * half its own capacity and at the service's rate; also samples RSS under load and the start time.
 */
export async function httpBench(dialect: Dialect, o: HttpOptions): Promise<HttpFigure> {
  const db = await benchDb(dialect);
  const server = await startServerProc(db);
  const bare = await startServerProc(db, {}, BARE);
  // GET /health/live on a server process of its own, with a database of its own, that is
  // never given a sign-up or the metered load: what a fresh server gives, as bare Fastify
  // is a fresh process too. Measured on the metered server (a sign-up's password-strength
  // worker alive, the heap the metered load left), its CPU per request was not that of the
  // same build measured alone (bench/analysis.md, "Why /health/live cost more inside the bench").
  const liveDb = await benchDb(dialect);
  const liveServer = await startServerProc(liveDb);
  const floorDb = await benchDb(dialect);
  const floor = await startServerProc(floorDb, {}, FLOOR);
  try {
    const { token } = await fundedUser(server.url, `bench-${dialect}@example.com`);
    // The floor answers what fundedUser asks (one account, funded) and ignores the token.
    await fundedUser(floor.url, `bench-floor-${dialect}@example.com`, 500_000_000);
    const floorReq = meteredRequest('floor');
    const spread = spreadMeteredRequest(await fundedTokens(server.url, `bench-${dialect}`, SPREAD_ACCOUNTS));
    const spreadRun = (duration: number) =>
      measuredRun(server, { url: `${server.url}/api/messages`, connections: o.connections, duration, ...spread });
    const warm = Math.min(2, o.seconds);
    const c = o.connections;
    await measuredRun(bare, { url: `${bare.url}/`, connections: c, duration: warm });
    await measuredRun(liveServer, { url: `${liveServer.url}/health/live`, connections: c, duration: warm });
    await measuredRun(liveServer, { url: `${liveServer.url}${ROUTED_LIVE}`, connections: c, duration: warm });
    await measuredRun(server, { url: `${server.url}/api/messages`, connections: c, duration: warm, ...meteredRequest(token) });
    await spreadRun(warm);
    await measuredRun(floor, { url: `${floor.url}/api/messages`, connections: c, duration: warm, ...floorReq });
    const runs = {
      bare: [] as Load[],
      live: [] as Load[],
      routed: [] as Load[],
      metered: [] as Load[],
      spread: [] as Load[],
      floor: [] as Load[],
    };
    let rss = 0;
    const figures: [keyof typeof runs, () => Promise<Load>][] = [
      ['bare', () => measuredRun(bare, { url: `${bare.url}/`, connections: c, duration: o.seconds })],
      ['live', () => measuredRun(liveServer, { url: `${liveServer.url}/health/live`, connections: c, duration: o.seconds })],
      ['routed', () => measuredRun(liveServer, { url: `${liveServer.url}${ROUTED_LIVE}`, connections: c, duration: o.seconds })],
      [
        'metered',
        async () => {
          const sampler = setInterval(() => {
            server
              .rss()
              .then((x) => {
                rss = Math.max(rss, x);
              })
              .catch(() => {});
          }, 1000);
          try {
            return await measuredRun(server, {
              url: `${server.url}/api/messages`,
              connections: c,
              duration: o.seconds,
              ...meteredRequest(token),
            });
          } finally {
            clearInterval(sampler);
          }
        },
      ],
      ['spread', () => spreadRun(o.seconds)],
      ['floor', () => measuredRun(floor, { url: `${floor.url}/api/messages`, connections: c, duration: o.seconds, ...floorReq })],
    ];
    // Goal 1's pair first in every run, back to back, in the order of the run before reversed;
    // then the other four, rotated so drift in the machine's load hits them alike. Rotated
    // with the others, bare and /health/live were measured minutes apart in some runs,
    // one of them right after a metered run (whose after-effects, PostgreSQL's background
    // writes or SQLite's checkpoint, take a share of the two cores), and goal 1 moved from
    // 0.82x to 0.97x between bench runs of the same build (bench/analysis.md, "What remains
    // of goal 1, feature by feature, and goal 1 measured as a pair").
    const pair = figures.slice(0, 2);
    const rest = figures.slice(2);
    const liveRatios: { rps: number; cpu: number | undefined }[] = [];
    for (let r = 0; r < o.runs; r++) {
      if (r > 0) await new Promise((res) => setTimeout(res, 1000));
      for (const [name, run] of r % 2 === 0 ? pair : [...pair].reverse()) runs[name].push(await run());
      const [b, l] = [runs.bare.at(-1) as Load, runs.live.at(-1) as Load];
      liveRatios.push({ rps: l.rps / b.rps, cpu: b.cpuUs && l.cpuUs ? b.cpuUs / l.cpuUs : undefined });
      for (let i = 0; i < rest.length; i++) {
        const [name, run] = rest[(i + r) % rest.length] as (typeof rest)[number];
        runs[name].push(await run());
      }
      const last = (k: keyof typeof runs) => {
        const l = runs[k].at(-1);
        return `${Math.round(l?.rps ?? 0)}/s (${l?.cpuUs ?? '-'} µs CPU/request, main thread ${l?.mainUs ?? '-'})`;
      };
      o.log(
        `  http ${dialect} run ${r + 1}/${o.runs}: bare ${last('bare')}, /health/live ${last('live')}, through the router ${last('routed')}, metered ${last('metered')}, metered over ${SPREAD_ACCOUNTS} accounts ${last('spread')}, the floor ${last('floor')}; load ${load()}`,
      );
    }
    const metered = medianLoad(runs.metered);
    // Goal 4: latency at half the measured capacity, an open loop at that rate with the
    // requests evenly spaced (bench/open-loop.ts; autocannon's overallRate sends each
    // second's quota back to back, saturation for part of every second), so the figure is
    // service time plus the queueing of a half-loaded server.
    const rate = Math.max(1, Math.round(metered.rps / 2));
    // The floor (bench/floor-metered.mjs) the same way at half its own capacity, and at the
    // service's rate: what the database's work on the contract's rows, Fastify and the kernel
    // give with nothing of ours (bench/analysis.md, "Goal 4's floor" and "The floor with the
    // contract's rows"). The three open loops alternate run by run.
    const floorRate = Math.max(1, Math.round(medianLoad(runs.floor).rps / 2));
    const req = meteredRequest(token);
    const halfRun = async (proc: ServerProc, request: Pick<autocannon.Options, 'headers' | 'body'>, at: number): Promise<Load> => {
      const cpu0 = proc.cpu();
      const run = await openLoop(`${proc.url}/api/messages`, at, o.seconds, {
        method: 'POST',
        headers: request.headers as Record<string, string>,
        body: request.body as string,
      });
      const cpu = proc.cpu() - cpu0;
      return {
        rps: run.rps,
        p50: run.p50,
        p99: run.p99,
        bad: run.bad,
        ...(Number.isFinite(cpu) ? { cpuUs: Math.round((cpu * 1e6) / run.samples.length) } : {}),
      };
    };
    const halves = { service: [] as Load[], floor: [] as Load[], floorAt: [] as Load[] };
    const batchP99: number[] = [];
    const floorStats = async (reset: boolean) =>
      (await (await setupFetch(`${floor.url}/bench/floor-stats${reset ? '?reset=1' : ''}`)).json()) as { p99: number };
    const opens: [keyof typeof halves, () => Promise<Load>][] = [
      ['service', () => halfRun(server, req, rate)],
      [
        'floor',
        async () => {
          await floorStats(true);
          const l = await halfRun(floor, floorReq, floorRate);
          batchP99.push((await floorStats(true)).p99);
          return l;
        },
      ],
      ['floorAt', () => halfRun(floor, floorReq, rate)],
    ];
    for (let r = 0; r < o.runs; r++) {
      for (let i = 0; i < opens.length; i++) {
        const [name, run] = opens[(i + r) % opens.length] as (typeof opens)[number];
        halves[name].push(await run());
      }
    }
    const half = { ...medianLoad(halves.service), rate };
    o.log(`  http ${dialect}: metered at ${rate}/s (half its capacity): p99 ${half.p99} ms, p50 ${half.p50} ms`);
    const floorFigure = {
      capacity: medianLoad(runs.floor),
      half: { ...medianLoad(halves.floor), rate: floorRate },
      atServiceRate: medianLoad(halves.floorAt),
      batchP99,
    };
    o.log(
      `  http ${dialect}: the floor at ${floorRate}/s (half its capacity): p99 ${floorFigure.half.p99} ms (by run ${halves.floor.map((l) => l.p99).join(', ')}; its batches' p99 BEGIN to durable ${batchP99.join(', ')} ms); at ${rate}/s: p99 ${floorFigure.atServiceRate.p99} ms (by run ${halves.floorAt.map((l) => l.p99).join(', ')})`,
    );
    rss = Math.max(rss, await server.rss());
    await server.stop();
    // Start time: restart the same server (database already migrated and seeded) a few times.
    const startMs = [server.startMs];
    for (let i = 0; i < 3; i++) {
      const s = await startServerProc(db);
      startMs.push(s.startMs);
      await s.stop();
    }
    return {
      dialect,
      bare: medianLoad(runs.bare),
      live: medianLoad(runs.live),
      liveRatio: {
        rps: median(liveRatios.map((x) => x.rps)),
        cpu: liveRatios.every((x) => x.cpu !== undefined) ? median(liveRatios.map((x) => x.cpu as number)) : undefined,
        runs: liveRatios,
      },
      routed: medianLoad(runs.routed),
      metered,
      spread: medianLoad(runs.spread),
      half,
      floor: floorFigure,
      rssMb: Math.round(rss / 2 ** 20),
      startMs,
    };
  } finally {
    await server.stop();
    await bare.stop();
    await liveServer.stop();
    await floor.stop();
    await db.dispose();
    await liveDb.dispose();
    await floorDb.dispose();
  }
}

export interface DurabilityFigure {
  dialect: Dialect;
  setting: string;
  metered: Load;
}

/** The metered route under each durability setting, each on a fresh server and database. */
export async function durabilityBench(dialect: Dialect, o: HttpOptions): Promise<DurabilityFigure[]> {
  const settings: [string, Record<string, string>][] =
    dialect === 'sqlite'
      ? [
          ['synchronous=FULL (default)', { SQLITE_SYNCHRONOUS: 'FULL' }],
          ['synchronous=NORMAL', { SQLITE_SYNCHRONOUS: 'NORMAL' }],
        ]
      : [
          ['synchronous_commit=on (default)', { PG_SYNCHRONOUS_COMMIT: 'on' }],
          ['synchronous_commit=off', { PG_SYNCHRONOUS_COMMIT: 'off' }],
        ];
  const out: DurabilityFigure[] = [];
  const servers: { setting: string; db: BenchDb; server: ServerProc; token: string; runs: Load[] }[] = [];
  try {
    for (const [setting, env] of settings) {
      const db = await benchDb(dialect);
      const server = await startServerProc(db, env);
      const { token } = await fundedUser(server.url, `durable-${dialect}@example.com`);
      await autocannonRun({
        url: `${server.url}/api/messages`,
        connections: o.connections,
        duration: Math.min(2, o.seconds),
        ...meteredRequest(token),
      });
      servers.push({ setting, db, server, token, runs: [] });
    }
    for (let r = 0; r < o.runs; r++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        s.runs.push(
          await autocannonRun({
            url: `${s.server.url}/api/messages`,
            connections: o.connections,
            duration: o.seconds,
            ...meteredRequest(s.token),
          }),
        );
      }
      o.log(
        `  durability ${dialect} run ${r + 1}/${o.runs}: ${servers.map((s) => `${s.setting} ${Math.round(s.runs.at(-1)?.rps ?? 0)}/s`).join(', ')}`,
      );
    }
    for (const s of servers) out.push({ dialect, setting: s.setting, metered: medianLoad(s.runs) });
  } finally {
    for (const s of servers) {
      await s.server.stop();
      await s.db.dispose();
    }
  }
  return out;
}

export interface ScaleFigure {
  one: ScaleLoad;
  two: ScaleLoad;
}

export interface ScaleLoad extends Load {
  /** Postgres client backends' CPU per request of the instances (microseconds). */
  pgCpuUs?: number;
}

const SCALE_APP = 'credits-bench-scale';

/**
 * Two server processes on one Postgres against one: the same total load (connections),
 * every request a metered message from its own user (a user per connection pair, so the
 * two instances do not only fight over one hot account). Also the CPU per request of the
 * instances (summed) and of their Postgres backends, so the capacity model (bench/capacity.ts)
 * can be checked against it.
 */
export async function scaleOutBench(o: HttpOptions): Promise<ScaleFigure> {
  const db = await benchDb('postgres');
  const env = { PG_POOL_SIZE: '10', DATABASE_URL: withAppName(PG_URL, SCALE_APP) };
  const a = await startServerProc(db, env);
  const b = await startServerProc(db, env);
  try {
    const users: { token: string; userId: string }[] = [];
    for (let i = 0; i < 8; i++) users.push(await fundedUser(a.url, `scale-${i}@example.com`));
    const requests = (token: string) => meteredRequest(token);
    const drive = async (urls: string[]): Promise<ScaleLoad> => {
      // Connections split evenly over users and over the given instances.
      const per = Math.max(1, Math.floor(o.connections / users.length));
      const cpu0 = a.cpu() + b.cpu();
      const pg0 = await pgBackendCpu(SCALE_APP);
      const runs = users.map((u, i) =>
        autocannonRun({ url: `${urls[i % urls.length]}/api/messages`, connections: per, duration: o.seconds, ...requests(u.token) }),
      );
      const res = await Promise.all(runs);
      const pg1 = await pgBackendCpu(SCALE_APP);
      const cpu = a.cpu() + b.cpu() - cpu0;
      const rps = res.reduce((s, x) => s + x.rps, 0);
      const done = rps * o.seconds;
      return {
        rps,
        p50: median(res.map((x) => x.p50)),
        p99: Math.max(...res.map((x) => x.p99)),
        bad: res.reduce((s, x) => s + x.bad, 0),
        ...(Number.isFinite(cpu) && done > 0 ? { cpuUs: Math.round((cpu * 1e6) / done) } : {}),
        ...(done > 0 ? { pgCpuUs: Math.round((pgCpuBetween(pg0, pg1) * 1e6) / done) } : {}),
      };
    };
    await drive([a.url, b.url]);
    const one: ScaleLoad[] = [];
    const two: ScaleLoad[] = [];
    for (let r = 0; r < o.runs; r++) {
      if (r % 2 === 0) {
        one.push(await drive([a.url]));
        two.push(await drive([a.url, b.url]));
      } else {
        two.push(await drive([a.url, b.url]));
        one.push(await drive([a.url]));
      }
      const f = (x: ScaleLoad | undefined) =>
        `${Math.round(x?.rps ?? 0)}/s (CPU per request: instances ${x?.cpuUs ?? '-'} µs, Postgres backends ${x?.pgCpuUs ?? '-'} µs)`;
      o.log(`  scale-out run ${r + 1}/${o.runs}: one instance ${f(one.at(-1))}, two ${f(two.at(-1))}`);
    }
    const withPg = (xs: ScaleLoad[]): ScaleLoad => ({
      ...medianLoad(xs),
      ...(xs.every((x) => x.pgCpuUs !== undefined) ? { pgCpuUs: median(xs.map((x) => x.pgCpuUs as number)) } : {}),
    });
    return { one: withPg(one), two: withPg(two) };
  } finally {
    await a.stop();
    await b.stop();
    await db.dispose();
  }
}

export interface AnalyticsFigure {
  dialect: Dialect;
  rows: number;
  endpoint: { p50: number; p99: number; n: number };
  raw: { p50: number; n: number };
}

const DAY = 86_400_000;

/** Fills `rows` usage rows over 90 days for one user (operations mixed) and their hourly rollups. */
async function fillUsage(db: BenchDb, userId: string, rows: number, now: number) {
  const from = now - 90 * DAY;
  const step = Math.floor((90 * DAY) / rows);
  if (db.dialect === 'sqlite') {
    const s = new SQLite(db.sqlitePath as string);
    s.pragma('busy_timeout = 15000');
    s.exec('begin');
    s.prepare(`with recursive n(i) as (select 0 union all select i + 1 from n where i < ?)
      insert into usage_tracking (id, user_id, operation, unit, quantity_milli, cost_mc, charged_mc, rule_id,
        rule_credits_mc, bypass, transaction_id, reservation_id, metadata, created_at)
      select 'bench-' || i, ?, case i % 4 when 0 then 'message' when 1 then 'vapi_call' when 2 then 'file_upload' else 'workflow' end,
        case i % 4 when 0 then 'per_message' when 1 then 'per_minute' when 2 then 'per_file' else 'per_run' end,
        1000, 100, 100, null, 100, 0, null, null, null, ? + i * ?
      from n`).run(rows - 1, userId, from, step);
    s.prepare(`insert into usage_rollups (user_id, bucket, operation, unit, credits_mc, operations, quantity_milli)
      select user_id, created_at - created_at % 3600000, operation, unit, sum(charged_mc), count(*), sum(quantity_milli)
      from usage_tracking where user_id = ? and id like 'bench-%' group by 1, 2, 3, 4
      on conflict (user_id, bucket, operation, unit) do update set credits_mc = usage_rollups.credits_mc + excluded.credits_mc,
        operations = usage_rollups.operations + excluded.operations, quantity_milli = usage_rollups.quantity_milli + excluded.quantity_milli`).run(
      userId,
    );
    s.exec('commit');
    s.exec('analyze');
    s.close();
    return;
  }
  const sch = db.schema as string;
  await pgQuery(`insert into ${sch}.usage_tracking (id, user_id, operation, unit, quantity_milli, cost_mc, charged_mc, rule_id,
      rule_credits_mc, bypass, transaction_id, reservation_id, metadata, created_at)
    select 'bench-' || i, '${userId}', (array['message','vapi_call','file_upload','workflow'])[i % 4 + 1],
      (array['per_message','per_minute','per_file','per_run'])[i % 4 + 1], 1000, 100, 100, null, 100, 0, null, null, null,
      ${from}::bigint + i::bigint * ${step}
    from generate_series(0, ${rows - 1}) as i`);
  await pgQuery(`insert into ${sch}.usage_rollups (user_id, bucket, operation, unit, credits_mc, operations, quantity_milli)
    select user_id, created_at - created_at % 3600000, operation, unit, sum(charged_mc), count(*), sum(quantity_milli)
    from ${sch}.usage_tracking where user_id = '${userId}' and id like 'bench-%' group by 1, 2, 3, 4
    on conflict (user_id, bucket, operation, unit) do update set credits_mc = ${sch}.usage_rollups.credits_mc + excluded.credits_mc,
      operations = ${sch}.usage_rollups.operations + excluded.operations, quantity_milli = ${sch}.usage_rollups.quantity_milli + excluded.quantity_milli`);
  await pgQuery(`analyze ${sch}.usage_tracking; analyze ${sch}.usage_rollups`);
}

/** The same 90-day report computed from the raw usage rows (what the rollups save). */
async function rawReport(db: BenchDb, userId: string, from: number, to: number): Promise<number> {
  const started = performance.now();
  const q = (t: string) => `select (created_at - created_at % ${DAY}) as day, operation, unit, sum(charged_mc) as mc, count(*) as n
    from ${t} where user_id = '${userId}' and created_at >= ${from} and created_at <= ${to} group by 1, 2, 3`;
  if (db.dialect === 'sqlite') {
    const s = new SQLite(db.sqlitePath as string, { readonly: true });
    s.prepare(q('usage_tracking')).all();
    s.close();
  } else {
    await pgQuery(q(`${db.schema}.usage_tracking`));
  }
  return performance.now() - started;
}

export async function analyticsBench(dialect: Dialect, rows: number, o: HttpOptions): Promise<AnalyticsFigure> {
  const db = await benchDb(dialect);
  let server = await startServerProc(db);
  try {
    const { token, userId } = await fundedUser(server.url, `analytics-${dialect}@example.com`, 1000);
    await server.stop();
    const now = Date.now();
    const t0 = performance.now();
    await fillUsage(db, userId, rows, now);
    o.log(
      `  analytics ${dialect}: ${rows.toLocaleString('en')} usage rows and their rollups written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    server = await startServerProc(db);
    const from = now - 90 * DAY;
    const url = `${server.url}/api/credits/usage?from=${new Date(from).toISOString()}&to=${new Date(now).toISOString()}&granularity=day`;
    const check = await setupFetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await check.json()) as { totalOperations: number; series: unknown[] };
    if (check.status !== 200 || body.totalOperations < rows) {
      throw new Error(`usage report did not count the rows: ${check.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
    // Latency of single requests, one at a time (no queueing in the figure): autocannon with
    // one connection (undici's fetch added several ms of client time per request here).
    const headers = { authorization: `Bearer ${token}` };
    await autocannonRun({ url, connections: 1, amount: 20, headers });
    const lat = await new Promise<autocannon.Result>((resolve, reject) =>
      autocannon({ url, connections: 1, amount: 200, headers }, (err, r) => (err ? reject(err) : resolve(r))),
    );
    const times = [lat.latency.p50, lat.latency.p99];
    const raws: number[] = [];
    for (let i = 0; i < 5; i++) raws.push(await rawReport(db, userId, from, now));
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      dialect,
      rows,
      endpoint: { p50: round(times[0] as number), p99: round(times[1] as number), n: lat.requests.total },
      raw: { p50: round(median(raws)), n: raws.length },
    };
  } finally {
    await server.stop();
    await db.dispose();
  }
}
