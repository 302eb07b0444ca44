/**
 * The `org` section of `npm run bench` (issue 18): the metered POST /api/messages sent by an
 * organisation's member with `X-Account` of the organisation, whose monthly limit is set (so
 * every charge reads the member's limit, month's spending and holds, and adds to
 * member_month_usage in the charge's transaction), against the same request by the same user
 * on their personal account, on one server, runs alternating. Target: org >= 0.85x personal.
 */
import { LedgerKey } from '../src/core/ledger/hash.js';
import { createCore } from '../src/core/index.js';
import { openDatabase } from '../src/db/open.js';
import { PG_URL, fmt, median } from './common.js';
import {
  type BenchDb,
  type HttpOptions,
  LEDGER_KEY,
  type Load,
  autocannonRun,
  benchDb,
  fundedUser,
  medianLoad,
  meteredRequest,
  post,
  setupFetch,
  startServerProc,
} from './http.js';

export interface OrgFigure {
  dialect: string;
  personal: Load;
  org: Load;
  /** The median of each run's member / personal requests/s: the two figures of a run are measured back to back. */
  ratio: number;
  limitCredits: number;
}

async function patch(url: string, body: unknown, token: string) {
  const r = await setupFetch(url, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
}

/** A limit the run never reaches (the bench measures the check, not refusals). */
const LIMIT_CREDITS = 4_000_000;

/** An organisation with one member whose monthly limit is set, funded through the ledger; the member's token and the organisation's id. */
export async function orgSetup(
  url: string,
  dialect: 'sqlite' | 'postgres',
  db: BenchDb,
): Promise<{ member: { token: string; userId: string }; org: string }> {
  const owner = await fundedUser(url, `bench-owner-${dialect}@example.com`, 1);
  const memberEmail = `bench-member-${dialect}@example.com`;
  const member = await fundedUser(url, memberEmail);
  const org = ((await post(`${url}/api/orgs`, { name: 'Bench Recruiting' }, owner.token)) as { organization: { id: string } }).organization
    .id;
  const inv = (await post(`${url}/api/orgs/${org}/invitations`, { email: memberEmail, role: 'member' }, owner.token)) as {
    invitation: { token: string };
  };
  await post(`${url}/api/invitations/${inv.invitation.token}/accept`, {}, member.token);
  await patch(`${url}/api/orgs/${org}/members/${member.userId}`, { monthlyLimit: LIMIT_CREDITS }, owner.token);
  // The organisation's credits, granted through the ledger from this process (the same database).
  const database = await openDatabase(
    dialect === 'postgres' ? { databaseUrl: PG_URL, pgSchema: db.schema, pgPoolSize: 1 } : { sqlitePath: db.sqlitePath as string },
  );
  const core = createCore(database, { ledgerKey: new LedgerKey(LEDGER_KEY) });
  await core.ledger.grant(org, 5_000_000_000, 'adjustment');
  await core.writer.close();
  await database.close();
  return { member, org };
}

export async function orgBench(dialect: 'sqlite' | 'postgres', o: HttpOptions): Promise<OrgFigure> {
  const db = await benchDb(dialect);
  const server = await startServerProc(db);
  try {
    const url = server.url;
    const { member, org } = await orgSetup(url, dialect, db);

    const personalReq = meteredRequest(member.token);
    const orgReq = meteredRequest(member.token);
    orgReq.headers = { ...orgReq.headers, 'x-account': org };
    const warm = Math.min(2, o.seconds);
    const run = (req: typeof personalReq, duration: number) =>
      autocannonRun({ url: `${url}/api/messages`, connections: o.connections, duration, ...req });
    await run(personalReq, warm);
    await run(orgReq, warm);
    const personal: Load[] = [];
    const orgLoads: Load[] = [];
    for (let r = 0; r < o.runs; r++) {
      if (r % 2 === 0) {
        personal.push(await run(personalReq, o.seconds));
        orgLoads.push(await run(orgReq, o.seconds));
      } else {
        orgLoads.push(await run(orgReq, o.seconds));
        personal.push(await run(personalReq, o.seconds));
      }
      o.log(
        `  org ${dialect} run ${r + 1}/${o.runs}: personal ${fmt(personal.at(-1)?.rps ?? 0)}/s, organisation member ${fmt(orgLoads.at(-1)?.rps ?? 0)}/s`,
      );
    }
    // Every charge of the organisation's runs was its member's, and counted against the limit.
    // The ratio run by run, then its median: a ratio of the two medians would set one run's
    // personal figure against another run's member figure.
    const ratio = median(personal.map((p, i) => (orgLoads[i]?.rps ?? 0) / p.rps));
    return { dialect, personal: medianLoad(personal), org: medianLoad(orgLoads), ratio, limitCredits: LIMIT_CREDITS };
  } finally {
    await server.stop();
    await db.dispose();
  }
}

export function orgMarkdown(figs: OrgFigure[], runs: number, seconds: number, connections: number): string {
  const rows = figs.flatMap((f) => [
    `| ${f.dialect} | personal account | ${fmt(f.personal.rps)} | ${f.personal.p50} | ${f.personal.p99} | ${f.personal.bad} | |`,
    `| ${f.dialect} | organisation, member with a limit | ${fmt(f.org.rps)} | ${f.org.p50} | ${f.org.p99} | ${f.org.bad} | ${f.ratio.toFixed(2)}x |`,
  ]);
  return `## 7. Organisations: a member's metered request vs a personal one

${runs} run(s) of ${seconds} s per figure (median), ${connections} connections, runs alternating, one server.
The same user sends POST /api/messages on their personal account, and with \`X-Account\` of an
organisation they are a member of, with a monthly limit of ${fmt(figs[0]?.limitCredits ?? 0)} credits (never reached):
each request reads the membership (X-Account), and each charge reads the member's limit, this
month's spending and open holds inside the writer's transaction and adds to member_month_usage.
_org / personal_ is the median of the runs' own ratios (each run measures both back to back), not the
ratio of the two medians shown.

| database | account | requests/s | p50 (ms) | p99 (ms) | errors + non-2xx | org / personal |
|---|---|---:|---:|---:|---:|---:|
${rows.join('\n')}`;
}
