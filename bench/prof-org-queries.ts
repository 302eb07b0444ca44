/**
 * What a metered request costs the database on PostgreSQL, personal account against an
 * organisation member with a limit (the `org` section's two requests): the table scans,
 * inserts and updates per request, read from pg_stat_user_tables of the bench schema before
 * and after a fixed number of requests of each kind (a backend flushes its statistics when idle,
 * within about 10 s, so it waits 12 s before reading them).
 *
 *   npm run build:server && npx tsx bench/prof-org-queries.ts [REQUESTS] [CONNECTIONS]
 */
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

const db = await benchDb('postgres');
const server = await startServerProc(db);
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
    const res = await new Promise<autocannon.Result>((resolve, reject) =>
      autocannon({ url: `${server.url}/api/messages`, connections: C, amount: N, ...req }, (e, r) => (e ? reject(e) : resolve(r))),
    );
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
  }
} finally {
  await server.stop();
  await db.dispose();
}
