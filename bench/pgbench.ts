/**
 * A naive SQL baseline that does not depend on our code: pgbench (PostgreSQL's own load
 * driver, written in C, one connection per client) running one transaction per debit,
 *
 *   BEGIN;
 *   UPDATE pgb_accounts SET balance = balance - 100 WHERE id = :id AND balance >= 100 RETURNING balance;
 *   INSERT INTO pgb_ledger (account_id, amount, created_at) VALUES (:id, -100, now());
 *   END;
 *
 * on 10,000 accounts (a random one per transaction) and on one hot account, with as many
 * clients as the ledger section has debits in flight. Its tables are leaner than ours (no
 * hash chain, no usage rows), so it is a generous baseline.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG_URL, pgQuery } from './common.js';

export interface PgbenchFigure {
  shape: 'spread' | 'hot';
  tps: number[];
}

export function pgbenchAvailable(): boolean {
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function pgbench(o: {
  seconds: number;
  runs: number;
  clients: number;
  accounts: number;
  log: (l: string) => void;
}): Promise<PgbenchFigure[]> {
  const schema = `pgb_${process.pid}`;
  await pgQuery(`drop schema if exists ${schema} cascade; create schema ${schema};
    create table ${schema}.pgb_accounts (id int primary key, balance bigint not null check (balance >= 0), updated_at timestamptz);
    create table ${schema}.pgb_ledger (id bigserial primary key, account_id int not null references ${schema}.pgb_accounts (id),
      amount bigint not null, created_at timestamptz not null);
    create index on ${schema}.pgb_ledger (account_id, created_at);
    insert into ${schema}.pgb_accounts select i, 1000000000000, now() from generate_series(1, ${o.accounts}) i;
    analyze ${schema}.pgb_accounts;`);
  const dir = mkdtempSync(join(tmpdir(), 'credits-pgbench-'));
  const script = (pick: string) => `${pick}
BEGIN;
UPDATE ${schema}.pgb_accounts SET balance = balance - 100, updated_at = now() WHERE id = :id AND balance >= 100 RETURNING balance;
INSERT INTO ${schema}.pgb_ledger (account_id, amount, created_at) VALUES (:id, -100, now());
END;
`;
  writeFileSync(join(dir, 'spread.sql'), script(`\\set id random(1, ${o.accounts})`));
  writeFileSync(join(dir, 'hot.sql'), script('\\set id 1'));
  const out: PgbenchFigure[] = [];
  try {
    for (const shape of ['spread', 'hot'] as const) {
      const tps: number[] = [];
      for (let r = 0; r < o.runs; r++) {
        const text = execFileSync(
          'pgbench',
          [
            '-n',
            '-M',
            'prepared',
            '-c',
            String(o.clients),
            '-j',
            '2',
            '-T',
            String(Math.max(1, Math.round(o.seconds))),
            '-f',
            join(dir, `${shape}.sql`),
            PG_URL,
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const m = /tps = ([\d.]+)/.exec(text);
        if (!m) throw new Error(`pgbench printed no tps:\n${text}`);
        tps.push(Number(m[1]));
        o.log(`  pgbench ${shape} run ${r + 1}/${o.runs}: ${Math.round(Number(m[1]))} tps`);
      }
      out.push({ shape, tps });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pgQuery(`drop schema if exists ${schema} cascade`);
  }
  return out;
}
