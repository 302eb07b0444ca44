/**
 * Keying an unkeyed ledger is the operator's act, as docs/operations.md ("Keying the
 * ledger") tells it: `credits verify` calls an unkeyed ledger a violation and
 * `--allow-unkeyed` checks it with the old hash; in production `credits migrate` refuses
 * to re-key it by itself, naming `--key-ledger`; `credits migrate --key-ledger` does it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { GENESIS_HASH, LEGACY_SCHEME, LedgerKey, legacyHashRow } from '../../src/core/ledger/hash.js';
import { openDatabase } from '../../src/db/open.js';
import type { TransactionRow } from '../../src/db/schema.js';
import { makeUser } from '../support/factories.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'credits-key-ledger-'));
const env = {
  ...process.env,
  NODE_ENV: 'development',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  DATABASE_URL: '',
  SIGNUP_BONUS_CREDITS: '100',
};

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs `credits`; resolves with its exit code and output whatever the code. */
function credits(extra: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], { env: { ...env, ...extra }, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

/** What the release before left (or someone without the key made): the old scheme, plain SHA-256 chains. */
function unkey(path: string) {
  const db = new Database(path);
  db.prepare('update ledger_state set hash_scheme = ?, key_check = null').run(LEGACY_SCHEME);
  const rows = db.prepare('select * from credit_transactions order by user_id, seq').all() as TransactionRow[];
  let prev = GENESIS_HASH;
  let user = '';
  for (const r of rows) {
    if (r.user_id !== user) [user, prev] = [r.user_id, GENESIS_HASH];
    const hash = legacyHashRow(prev, r);
    db.prepare('update credit_transactions set prev_hash = ?, hash = ? where id = ?').run(prev, hash, r.id);
    db.prepare('update user_credits set last_hash = ? where user_id = ? and seq = ?').run(hash, r.user_id, r.seq);
    prev = hash;
  }
  db.close();
  return rows.length;
}

describe('keying an unkeyed ledger with the credits command', () => {
  it('verify refuses it unless --allow-unkeyed; production migrate names --key-ledger; --key-ledger keys it', async () => {
    expect((await credits({}, 'migrate')).stdout).toMatch(/applied: 001-initial/);
    // Some movements, written by the service's own ledger under the generated key.
    const key = readFileSync(join(dataDir, 'ledger-key'), 'utf8').trim();
    const database = await openDatabase({ sqlitePath: join(dataDir, 'credits.db') });
    const core = createCore(database, { ledgerKey: new LedgerKey(key) });
    const user = await makeUser(core);
    await core.ledger.grant(user.id, 5_000, 'purchase');
    await core.ledger.debit(user.id, 1_000, 'adjustment');
    await core.writer.close();
    await database.close();
    expect(unkey(join(dataDir, 'credits.db'))).toBeGreaterThan(0);

    const refused = await credits({}, 'verify');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/violation: the ledger is not keyed/);
    const allowed = await credits({}, 'verify', '--allow-unkeyed');
    expect(allowed.stdout).toMatch(/verify: clean/);
    expect(allowed.stderr).toMatch(/hashed the old way.*credits migrate --key-ledger/);

    const production = { NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(40), LEDGER_KEY: key };
    const migrate = await credits(production, 'migrate');
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toMatch(/production does not re-key it by itself.*credits migrate --key-ledger/);
    expect((await credits({}, 'verify')).code).toBe(1);

    const keyed = await credits(production, 'migrate', '--key-ledger');
    expect(keyed.code).toBe(0);
    expect(keyed.stdout).toMatch(/ledger: \d+ rows of 1 chains re-hashed with the ledger key/);
    expect((await credits({}, 'verify')).stdout).toMatch(/verify: clean/);
  }, 240_000);
});
