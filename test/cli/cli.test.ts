/**
 * The `credits` command as a user runs it: serve (ready, then a clean stop on SIGTERM
 * with pending writes drained), migrate, seed, users create and verify (with chain heads
 * exported and checked). The ledger key is the one generated in DATA_DIR, shared by every
 * command and the server.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { createCore } from '../../src/core/index.js';
import { LedgerKey } from '../../src/core/ledger/hash.js';
import { openDatabase } from '../../src/db/open.js';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/poll.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'credits-cli-'));
const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', SIGNUP_BONUS_CREDITS: '100' };
const cli = nodeArgs('src/cli/main.ts');

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function credits(...args: string[]) {
  return run(process.execPath, [...cli, ...args], { env, timeout: 60_000 });
}

describe('the credits command', () => {
  it('changes nothing on bad arguments or a dry run: bench --help prints the options, users create refuses a bad email', async () => {
    const help = await credits('bench', '--help');
    expect(help.stdout).toMatch(/--only A,B/);
    expect(help.stdout).not.toMatch(/building the service/);
    const email = await credits('users', 'create', '--email', 'bad', '--password', 'correct-horse-battery-staple').catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((email as { stderr: string }).stderr).toMatch(/'bad' is invalid. must be a valid email address/);
    // migrate --dry-run lists and writes nothing, not even the generated secrets' files.
    const fresh = join(dataDir, 'never-made');
    const dry = await run(process.execPath, [...cli, 'migrate', '--dry-run'], { env: { ...env, DATA_DIR: fresh }, timeout: 60_000 });
    expect(dry.stdout).toMatch(/would apply 001-initial/);
    expect(existsSync(fresh)).toBe(false);
    // A database that cannot be reached is named, as every command names it.
    const down = await run(process.execPath, [...cli, 'migrate'], {
      env: { ...env, DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/x' },
      timeout: 60_000,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(down).toMatchObject({ code: 1 });
    expect((down as { stderr: string }).stderr).toMatch(
      /^Cannot reach PostgreSQL \(postgres:\/\/\*\*\*@127\.0\.0\.1:1\/x\): connect ECONNREFUSED/,
    );
    expect((down as { stderr: string }).stderr).not.toContain('secret');
    const bad = await credits('bench', '--runz', '3').catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/unknown option --runz/);
  });

  it('migrates, seeds once, creates users and verifies', async () => {
    expect((await credits('migrate')).stdout).toMatch(/applied: 001-initial|up to date/);
    expect((await credits('seed')).stdout).toMatch(/5 package\(s\) and 16 pricing rule\(s\) added/);
    // Inserted once: a second seed adds nothing.
    expect((await credits('seed')).stdout).toMatch(/0 package\(s\) and 0 pricing rule\(s\) added/);
    const created = await credits(
      'users',
      'create',
      '--email',
      'boss@example.com',
      '--password',
      'kiwi-lantern-Orbit-73',
      '--role',
      'admin',
    );
    expect(created.stdout).toMatch(/created admin boss@example.com/);
    const dup = await credits('users', 'create', '--email', 'boss@example.com', '--password', 'kiwi-lantern-Orbit-73').catch((e) => e);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const bad = await credits('users', 'create', '--email', 'x@example.com', '--password', 'short').catch((e) => e);
    expect(bad.code).toBe(2);
    const ok = await credits('verify');
    expect(ok.stdout).toMatch(/verify: clean/);
    const db = new Database(join(dataDir, 'credits.db'));
    expect(db.prepare('select count(*) n from credit_packages').get()).toEqual({ n: 5 });
    expect(db.prepare('select count(*) n from credit_pricing where active = 1').get()).toEqual({ n: 16 });
    // Tamper with history: verify must notice and exit non-zero.
    const user = db.prepare("select id from users where email = 'boss@example.com'").get() as { id: string };
    db.prepare(
      "insert into credit_transactions (id, user_id, seq, type, amount_mc, reserved_change_mc, balance_after_mc, reserved_after_mc, description, prev_hash, hash, created_at) values ('forged', ?, 1, 'purchase', 1000000, 0, 1000000, 0, 'free money', 'x', 'y', 0)",
    ).run(user.id);
    db.close();
    const tampered = await credits('verify').catch((e) => e);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/violation/);
    const db2 = new Database(join(dataDir, 'credits.db'));
    db2.prepare("delete from credit_transactions where id = 'forged'").run();
    db2.close();
  }, 240_000);

  it('exports chain heads, and proves nothing changed before them', async () => {
    const help = await credits('verify', '--help');
    expect(help.stdout).toMatch(/--export-heads \[file\]/);
    expect(help.stdout).toMatch(/--heads <file>/);
    expect(help.stdout).toMatch(/LEDGER_KEY/);
    // One ledger row, written with the key the commands generated in DATA_DIR.
    const database = await openDatabase({ sqlitePath: join(dataDir, 'credits.db') });
    const core = createCore(database, { ledgerKey: new LedgerKey(readFileSync(join(dataDir, 'ledger-key'), 'utf8').trim()) });
    const boss0 = await database.db.selectFrom('users').select('id').where('email', '=', 'boss@example.com').executeTakeFirstOrThrow();
    await core.ledger.grant(boss0.id, 5_000, 'adjustment', { description: 'Welcome' });
    await core.writer.close();
    await database.close();
    const file = join(dataDir, 'heads.json');
    const exported = await credits('verify', '--export-heads', file);
    expect(exported.stdout).toMatch(/verify: clean/);
    expect(exported.stdout).toMatch(/1 chain heads written to/);
    const heads = JSON.parse(readFileSync(file, 'utf8'));
    expect(heads.format).toBe('credits-ledger-heads/1');
    const db = new Database(join(dataDir, 'credits.db'));
    const boss = db.prepare("select id from users where email = 'boss@example.com'").get() as { id: string };
    expect(heads.heads).toEqual([{ account: boss.id, seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    // To stdout: the heads alone (the summary goes to stderr).
    const toStdout = await credits('verify', '--export-heads');
    expect(JSON.parse(toStdout.stdout).heads).toEqual(heads.heads);
    expect(toStdout.stderr).toMatch(/verify: clean/);
    expect((await credits('verify', '--heads', file)).stdout).toMatch(/1 exported heads checked/);
    // The grant cut off with the balance it made (its row, its grant and its movements, the balance): consistent
    // in itself, but not with the heads.
    const row = db.prepare('select * from credit_transactions where user_id = ?').get(boss.id) as Record<string, unknown>;
    const account = db.prepare('select balance_mc, seq, last_hash from user_credits where user_id = ?').get(boss.id) as Record<
      string,
      unknown
    >;
    const grants = db.prepare('select * from grants where user_id = ?').all(boss.id) as Record<string, unknown>[];
    const moves = db.prepare('select * from grant_movements where user_id = ?').all(boss.id) as Record<string, unknown>[];
    db.prepare('delete from credit_transactions where user_id = ?').run(boss.id);
    db.prepare('delete from grants where user_id = ?').run(boss.id);
    db.prepare('delete from grant_movements where user_id = ?').run(boss.id);
    db.prepare('update user_credits set balance_mc = 0, seq = 0, last_hash = ? where user_id = ?').run('0'.repeat(64), boss.id);
    expect((await credits('verify')).stdout).toMatch(/verify: clean/);
    const cut = await credits('verify', '--heads', file).catch((e) => e);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/cut back below the exported head at seq 1/);
    const refused = await credits('verify', '--heads', file, '--export-heads', join(dataDir, 'new-heads.json')).catch((e) => e);
    expect(refused.stderr).toMatch(/heads not exported/);
    expect(existsSync(join(dataDir, 'new-heads.json'))).toBe(false);
    const cols = Object.keys(row);
    db.prepare(`insert into credit_transactions (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`).run(
      ...Object.values(row),
    );
    for (const g of grants) {
      const gc = Object.keys(g);
      db.prepare(`insert into grants (${gc.join(', ')}) values (${gc.map(() => '?').join(', ')})`).run(...Object.values(g));
    }
    for (const m of moves) {
      const mc = Object.keys(m);
      db.prepare(`insert into grant_movements (${mc.join(', ')}) values (${mc.map(() => '?').join(', ')})`).run(...Object.values(m));
    }
    db.prepare('update user_credits set balance_mc = ?, seq = ?, last_hash = ? where user_id = ?').run(
      account.balance_mc,
      account.seq,
      account.last_hash,
      boss.id,
    );
    db.close();
    expect((await credits('verify', '--heads', file)).stdout).toMatch(/verify: clean/);
    writeFileSync(join(dataDir, 'junk.json'), '{"format":"something else"}');
    const junk = await credits('verify', '--heads', join(dataDir, 'junk.json')).catch((e) => e);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toMatch(/not a credits-ledger-heads\/1 file/);
  }, 240_000);

  it('serves, answers ready, and stops cleanly on SIGTERM after draining writes', { timeout: 120_000 }, async () => {
    const child: ChildProcess = spawn(process.execPath, [...cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
      const check = () => {
        const m = /serving on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1] as string);
        }
      };
      child.stdout?.on('data', check);
    });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const reg = await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'served@example.com', password: 'kiwi-lantern-Orbit-73', name: 'Served' }),
    });
    expect(reg.status).toBe(201);
    const { token } = (await reg.json()) as { token: string };
    // Metered requests in flight while SIGTERM arrives: each one acknowledged must be committed.
    const send = () =>
      fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ to: 'x', body: 'drain' }),
      })
        .then((r) => r.status)
        .catch(() => 0);
    let answered = 0;
    const inflight = Array.from({ length: 100 }, () => send().finally(() => answered++));
    await until('a first answer', () => answered > 0, 60_000, 1);
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const statuses = await Promise.all(inflight);
    expect(await exit).toBe(0);
    expect(out).toMatch(/stopped cleanly/);
    const acked = statuses.filter((s) => s === 201).length;
    const db = new Database(join(dataDir, 'credits.db'));
    const used = db.prepare("select count(*) n from usage_tracking where operation = 'message'").get() as { n: number };
    db.close();
    expect(used.n).toBe(acked);
    expect((await credits('verify')).stdout).toMatch(/verify: clean/);
  });
});
