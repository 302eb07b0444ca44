/**
 * Grants section of `npm run bench` (`--only grants`): the metered path with an account's
 * credits in 1 grant against the same credits in 20 grants, in the same run.
 *
 * - HTTP: the metered route (POST /api/messages) on one server, one account funded with one
 *   admin adjustment against one funded with 20 adjustments expiring on 20 different days (so
 *   the spending order matters and every batch loads all 20 grants), runs alternated.
 * - Writer: `usage`-free guarded debits through the group-commit writer (as the ledger section),
 *   over accounts holding 1 grant against accounts holding 20, alternated.
 *
 * The goal (issue 17): 20 grants >= 0.8x of 1 grant, and the 1-grant figure no lower than the
 * metered route's before grants (bench/results.md's HTTP section of the earlier run).
 */
import type { Dialect } from '../src/db/open.js';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { LedgerKey } from '../src/core/ledger/hash.js';
import { keyLedger } from '../src/core/ledger/key-ledger.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createCore } from '../src/core/index.js';
import { createUser } from '../src/core/accounts/create-user.js';
import { fmt, freshDatabase, median } from './common.js';
import {
  ADMIN,
  type Load,
  type HttpOptions,
  autocannonRun,
  benchDb,
  fundedUser,
  medianLoad,
  meteredRequest,
  post,
  startServerProc,
} from './http.js';

const DAY = 86_400_000;
const KEY = new LedgerKey('bench-grants-key-bench-grants-key-0123456789');

export interface GrantsFigure {
  dialect: Dialect;
  http: { one: Load; twenty: Load };
  writer: { one: number; twenty: number; oneRuns: number[]; twentyRuns: number[] };
}

/** An account whose credits sit in 20 grants, each expiring on its own day (20 admin adjustments). */
async function twentyGrantUser(url: string, email: string, adminToken: string) {
  const reg = (await post(`${url}/api/auth/register`, { email, password: 'bench-password', name: 'Bench' })) as {
    token: string;
    user: { id: string };
  };
  for (let i = 0; i < 20; i++) {
    await post(
      `${url}/api/admin/users/${reg.user.id}/adjustments`,
      { amount: 250_000, reason: `benchmark grant ${i + 1}`, expiresAt: new Date(Date.now() + (30 + i) * DAY).toISOString() },
      adminToken,
    );
  }
  return { token: reg.token, userId: reg.user.id };
}

async function httpGrants(dialect: Dialect, o: HttpOptions): Promise<{ one: Load; twenty: Load }> {
  const db = await benchDb(dialect);
  const server = await startServerProc(db);
  try {
    const one = await fundedUser(server.url, `grants-one-${dialect}@example.com`);
    const adminToken = ((await post(`${server.url}/api/auth/login`, ADMIN)) as { token: string }).token;
    const twenty = await twentyGrantUser(server.url, `grants-twenty-${dialect}@example.com`, adminToken);
    const run = (token: string, duration: number) =>
      autocannonRun({ url: `${server.url}/api/messages`, connections: o.connections, duration, ...meteredRequest(token) });
    const warm = Math.min(2, o.seconds);
    await run(one.token, warm);
    await run(twenty.token, warm);
    const ones: Load[] = [];
    const twenties: Load[] = [];
    for (let r = 0; r < o.runs; r++) {
      if (r % 2 === 0) {
        ones.push(await run(one.token, o.seconds));
        twenties.push(await run(twenty.token, o.seconds));
      } else {
        twenties.push(await run(twenty.token, o.seconds));
        ones.push(await run(one.token, o.seconds));
      }
      o.log(
        `  grants http ${dialect} run ${r + 1}/${o.runs}: 1 grant ${Math.round(ones.at(-1)?.rps ?? 0)}/s, 20 grants ${Math.round(twenties.at(-1)?.rps ?? 0)}/s`,
      );
    }
    return { one: medianLoad(ones), twenty: medianLoad(twenties) };
  } finally {
    await server.stop();
    await db.dispose();
  }
}

async function writerGrants(
  dialect: Dialect,
  o: { seconds: number; runs: number; concurrency: number; accounts: number; log: (l: string) => void },
) {
  const { database, dispose } = await freshDatabase(dialect, 'grants', 10);
  try {
    await migrateToLatest(database.db);
    await keyLedger(database, KEY);
    // Accounts through the ledger itself, so their grants are what the service makes.
    const core = createCore(database, { ledgerKey: KEY });
    const make = async (grants: number) => {
      const ids: string[] = [];
      for (let i = 0; i < o.accounts; i++) {
        const u = await createUser(core.writer, {
          email: `g${grants}-${i}-${Math.random().toString(36).slice(2, 8)}@bench`,
          name: 'bench',
          password: 'bench-password-1',
          role: 'user',
        });
        await Promise.all(
          Array.from({ length: grants }, (_, k) =>
            core.ledger.grant(u.id, 50_000_000, 'adjustment', { grant: { expiresAt: grants === 1 ? null : Date.now() + (30 + k) * DAY } }),
          ),
        );
        ids.push(u.id);
      }
      return ids;
    };
    const one = await make(1);
    const twenty = await make(20);
    await core.writer.close();
    const measure = async (users: string[]) => {
      const writer = new LedgerWriter(database, { ledgerKey: KEY });
      const end = performance.now() + o.seconds * 1000;
      const started = performance.now();
      let n = 0;
      await Promise.all(
        Array.from({ length: o.concurrency }, async () => {
          while (performance.now() < end) {
            const userId = users[Math.floor(Math.random() * users.length)] as string;
            await writer.submit({ kind: 'debit', userId, amountMc: 100, type: 'adjustment' });
            n++;
          }
        }),
      );
      await writer.close();
      return n / ((performance.now() - started) / 1000);
    };
    await measure(one);
    await measure(twenty);
    const oneRuns: number[] = [];
    const twentyRuns: number[] = [];
    for (let r = 0; r < o.runs; r++) {
      if (r % 2 === 0) {
        oneRuns.push(await measure(one));
        twentyRuns.push(await measure(twenty));
      } else {
        twentyRuns.push(await measure(twenty));
        oneRuns.push(await measure(one));
      }
      o.log(
        `  grants writer ${dialect} run ${r + 1}/${o.runs}: 1 grant ${Math.round(oneRuns.at(-1) ?? 0)}/s, 20 grants ${Math.round(twentyRuns.at(-1) ?? 0)}/s`,
      );
    }
    return { one: median(oneRuns), twenty: median(twentyRuns), oneRuns, twentyRuns };
  } finally {
    await dispose();
  }
}

export async function grantsBench(
  dialect: Dialect,
  o: HttpOptions & { ledgerSeconds: number; concurrency: number; accounts: number },
): Promise<GrantsFigure> {
  const http = await httpGrants(dialect, o);
  const writer = await writerGrants(dialect, {
    seconds: o.ledgerSeconds,
    runs: o.runs,
    concurrency: o.concurrency,
    accounts: o.accounts,
    log: o.log,
  });
  return { dialect, http, writer };
}

export function grantsMarkdown(
  figs: GrantsFigure[],
  o: { runs: number; seconds: number; ledgerSeconds: number; connections: number; concurrency: number; accounts: number },
): string {
  const rows = figs.flatMap((f) => [
    `| ${f.dialect} | metered HTTP (POST /api/messages) | ${fmt(f.http.one.rps)} | ${fmt(f.http.twenty.rps)} | ${(f.http.twenty.rps / f.http.one.rps).toFixed(2)}x | p50 ${f.http.one.p50} / ${f.http.twenty.p50} ms, p99 ${f.http.one.p99} / ${f.http.twenty.p99} ms, errors ${f.http.one.bad} / ${f.http.twenty.bad} |`,
    `| ${f.dialect} | writer debits | ${fmt(f.writer.one)} | ${fmt(f.writer.twenty)} | ${(f.writer.twenty / f.writer.one).toFixed(2)}x | runs ${f.writer.oneRuns.map(fmt).join(', ')} / ${f.writer.twentyRuns.map(fmt).join(', ')} |`,
  ]);
  return [
    '## Grants: 1 grant against 20 (issue 17)',
    '',
    `\`npm run bench -- --only grants\`: ${o.runs} run(s) per figure (median), alternated. HTTP: ${o.seconds} s runs, ${o.connections} connections, one account with its credits in 1 grant against one with them in 20 grants expiring on 20 days, on one server. Writer: ${o.ledgerSeconds} s runs, ${o.concurrency} debits in flight over ${o.accounts} accounts of each kind.`,
    '',
    '| database | path | 1 grant (/s) | 20 grants (/s) | 20 / 1 | detail (1 / 20) |',
    '| -------- | ---- | -----------: | -------------: | -----: | --------------- |',
    ...rows,
    '',
  ].join('\n');
}
