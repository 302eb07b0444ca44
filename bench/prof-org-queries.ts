/**
 * What a metered request costs the database on PostgreSQL, personal account against an
 * organisation member with a limit (the `org` section's two requests): the table scans,
 * inserts and updates per request, read from pg_stat_user_tables of the bench schema before
 * and after a fixed number of requests of each kind (a backend flushes its statistics when idle,
 * within about 10 s, so it waits 12 s before reading them).
 *
 * With the server traced (bench/pg-trace.mjs), also the statements node-postgres sent per
 * request, by kind, and the writer's transactions' shapes.
 *
 *   npm run build:server && npx tsx bench/prof-org-queries.ts [REQUESTS] [CONNECTIONS]
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { pgQuery } from './common.js';
import { benchDb, meteredRequest, startServerProc } from './http.js';
import { orgSetup } from './org.js';

const N = Number(process.argv[2] ?? 4000);
const C = Number(process.argv[3] ?? 64);

type Stats = Map<string, { scans: number; ins: number; upd: number }>;

async function stats(schema: string): Promise<Stats> {
  const r = await pgQuery(
    `select relname, coalesce(seq_scan,0) + coalesce(idx_scan,0) as scans, n_tup_ins as ins, n_tup_upd as upd
       from pg_stat_user_tables where schemaname = '${schema}'`,
  );
  return new Map(r.rows.map((x) => [x.relname as string, { scans: Number(x.scans), ins: Number(x.ins), upd: Number(x.upd) }]));
}

const TRACE = new URL('./pg-trace.mjs', import.meta.url).pathname;
const traceOut = join(tmpdir(), `pg-trace-org-${process.pid}.json`);
type Trace = { kinds: Record<string, { n: number; ms: number }>; batches: { steps: [string, number][] }[] };
/** What the trace gathered since the last read (the server writes it on SIGUSR2). */
async function readTrace(): Promise<Trace> {
  server.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 500));
  const t = JSON.parse(readFileSync(traceOut, 'utf8')) as Trace;
  rmSync(traceOut, { force: true });
  return t;
}

const db = await benchDb('postgres');
const server = await startServerProc(db, { PG_TRACE_OUT: traceOut }, undefined, ['--import', TRACE]);
try {
  const { member, org } = await orgSetup(server.url, 'postgres', db);
  const personal = meteredRequest(member.token);
  const orgReq = meteredRequest(member.token);
  orgReq.headers = { ...orgReq.headers, 'x-account': org };
  for (const [name, req] of [
    ['personal', personal],
    ['organisation', orgReq],
  ] as const) {
    await new Promise((r) => setTimeout(r, 12000));
    const before = await stats(db.schema as string);
    await readTrace();
    const res = await new Promise<autocannon.Result>((resolve, reject) =>
      autocannon({ url: `${server.url}/api/messages`, connections: C, amount: N, ...req }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    const trace = await readTrace();
    await new Promise((r) => setTimeout(r, 12000));
    const after = await stats(db.schema as string);
    const done = res.requests.total;
    console.log(
      `${name}: ${done} requests (${res.non2xx} non-2xx), ${Math.round(res.requests.average)}/s, status codes ${JSON.stringify(res.statusCodeStats)}`,
    );
    let total = 0;
    for (const [t, a] of after) {
      const b = before.get(t) ?? { scans: 0, ins: 0, upd: 0 };
      const d = { scans: a.scans - b.scans, ins: a.ins - b.ins, upd: a.upd - b.upd };
      total += d.scans + d.ins + d.upd;
      if (d.scans + d.ins + d.upd > 0)
        console.log(
          `  ${t.padEnd(24)} scans/req ${(d.scans / done).toFixed(3)}  ins/req ${(d.ins / done).toFixed(3)}  upd/req ${(d.upd / done).toFixed(3)}`,
        );
    }
    console.log(`  all tables: ${(total / done).toFixed(3)} scans+rows written per request`);
    const sent = Object.values(trace.kinds).reduce((n, k) => n + k.n, 0);
    console.log(
      `  statements sent: ${(sent / done).toFixed(3)} per request; writer transactions ${trace.batches.length}; by kind, per request:`,
    );
    for (const [k, v] of Object.entries(trace.kinds).sort((a, b) => b[1].n - a[1].n))
      console.log(`    ${(v.n / done).toFixed(4)}  ${(v.ms / v.n).toFixed(2)} ms  ${k}`);
    const shapes = new Map<string, number>();
    for (const b of trace.batches) {
      const k = b.steps.map((x) => x[0]).join(' > ');
      shapes.set(k, (shapes.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...shapes].sort((a, b) => b[1] - a[1]).slice(0, 3)) console.log(`    ${n} x ${k}`);
  }
} finally {
  await server.stop();
  await db.dispose();
}
