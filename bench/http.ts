/**
 * npm run bench:http [-- --seconds N] [-- --runs N] [-- --connections N] [-- --dialect sqlite|postgres]
 *
 * The metered request (POST /api/messages: JWT, validation, credit check and deduction,
 * ledger row, usage row, rollup, in the writer) against a bare hello route of the same
 * server, with autocannon, on SQLite and on PostgreSQL: requests per second, p50 and p99
 * latency, and the ratio metered / hello from the same run. Each figure is the median of
 * the runs. Writes bench/http-results.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import type { Dialect } from '../src/db/open.js';
import { startServer } from '../src/main.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(arg('seconds') ?? 10);
const runs = Number(arg('runs') ?? 3);
const connections = Number(arg('connections') ?? 64);
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Figure {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function run(opts: autocannon.Options): Promise<Figure> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err);
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function bench(dialect: Dialect) {
  const dataDir = mkdtempSync(join(tmpdir(), 'credits-bench-http-'));
  let schema: string | undefined;
  if (dialect === 'postgres') {
    schema = `bench_http_${process.pid}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await c.end();
  }
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ALLOW_SIMULATED_PAYMENTS: 'true',
    ...(dialect === 'postgres' ? { DATABASE_URL: PG_URL } : {}),
  } as NodeJS.ProcessEnv);
  const running = await startServer(config, {
    logger: false,
    ...(schema ? { pgSchema: schema } : {}),
    extraRoutes: (app) => {
      app.get('/bench/hello', async () => ({ hello: 'world' }));
    },
  });
  const url = running.url;
  const reg = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password', name: 'Bench' }),
  });
  const { token, user } = (await reg.json()) as { token: string; user: { id: string } };
  await running.core.ledger.grant(user.id, 1e12, 'purchase');
  const hello: Figure[] = [];
  const metered: Figure[] = [];
  for (let i = 0; i < runs; i++) {
    hello.push(await run({ url: `${url}/bench/hello`, connections, duration: seconds }));
    metered.push(
      await run({
        url: `${url}/api/messages`,
        connections,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ to: '+15551234567', body: 'Hello from the benchmark' }),
      }),
    );
    process.stdout.write(`  ${dialect} run ${i + 1}/${runs}: hello ${Math.round(hello.at(-1)?.rps ?? 0)}/s, metered ${Math.round(metered.at(-1)?.rps ?? 0)}/s\n`);
  }
  const rss = process.memoryUsage().rss;
  await running.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (schema) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  }
  const pick = (xs: Figure[]) => ({
    rps: median(xs.map((x) => x.rps)),
    p50: median(xs.map((x) => x.p50)),
    p99: median(xs.map((x) => x.p99)),
    bad: xs.reduce((s, x) => s + x.errors + x.non2xx, 0),
  });
  return { dialect, hello: pick(hello), metered: pick(metered), rssMb: Math.round(rss / 2 ** 20) };
}

async function postgresUp() {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

const only = arg('dialect') as Dialect | undefined;
const rows = [];
for (const d of only ? [only] : (['sqlite', 'postgres'] as Dialect[])) {
  if (d === 'postgres' && !(await postgresUp())) {
    console.log(`postgres: ${PG_URL} does not answer; skipped`);
    continue;
  }
  rows.push(await bench(d));
}
const n = (x: number) => Math.round(x).toLocaleString('en');
const table = [
  '| database | route | requests/s | p50 (ms) | p99 (ms) | errors + non-2xx | metered / hello |',
  '|---|---|---:|---:|---:|---:|---:|',
  ...rows.flatMap((r) => [
    `| ${r.dialect} | GET /bench/hello | ${n(r.hello.rps)} | ${r.hello.p50} | ${r.hello.p99} | ${r.hello.bad} | |`,
    `| ${r.dialect} | POST /api/messages | ${n(r.metered.rps)} | ${r.metered.p50} | ${r.metered.p99} | ${r.metered.bad} | ${(r.metered.rps / r.hello.rps).toFixed(2)}x |`,
  ]),
].join('\n');
console.log(`\n${table}\n`);
writeFileSync(
  new URL('./http-results.md', import.meta.url),
  `# HTTP benchmark

Command: \`npm run bench:http${args.length ? ` -- ${args.join(' ')}` : ''}\` (${runs} run(s) of ${seconds} s per figure, median; autocannon with ${connections} connections, in the same process as the server).
Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. SQLite synchronous=FULL; PostgreSQL synchronous_commit=on.
Run at ${new Date().toISOString()}.

The metered route does everything a paying request does: verifies the JWT, validates the body, prices the
operation, and commits the debit with its ledger row, usage row and rollup through the group-commit writer
(durable before the answer). The hello route is the same server with none of that.

${table}

Target (issue 6): metered at least 0.5x the hello route. Note: autocannon runs in the server's process here,
so both share the machine's two cores; RSS at the end of the run: ${rows.map((r) => `${r.dialect} ${r.rssMb} MB`).join(', ')} (server and load generator together).
`,
);
console.log('written bench/http-results.md');
