/**
 * Profiling aid (not part of `npm run bench`), issue 21 goal 4: how long a SQLite commit
 * holds the event loop with `synchronous=FULL`, SQLite's own way (`sqliteInlineCommit`: the
 * COMMIT's fsync and, every 1,000 WAL pages, a checkpoint, in the committing call) against
 * the default (open.ts sqliteWalSync: the COMMIT unsynced, the WAL's fdatasync in the
 * thread pool; wal-checkpointer.ts: checkpoints on a worker). Writes back to back, as the
 * writer does at saturation: BEGIN IMMEDIATE, 64 inserts and 64 updates, COMMIT, then the
 * sync (awaited) or a turn of the event loop. Modes alternate, twice each.
 *
 *   npx tsx bench/prof-sqlite-wal.ts [batches]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/open.js';
import { load } from './common.js';
import { percentile } from './open-loop.js';

const batches = Number(process.argv[2] ?? 1500);

async function run(mode: 'inline' | 'off-loop') {
  const dir = mkdtempSync(join(tmpdir(), 'credits-prof-wal-'));
  const path = join(dir, 'wal.db');
  const database = await openDatabase({ sqlitePath: path, sqliteSynchronous: 'FULL', sqliteInlineCommit: mode === 'inline' });
  const raw = database.sqlite;
  if (!raw) throw new Error('SQLite only');
  raw.prepare('create table t (id integer primary key, a text, b integer)').run();
  raw.prepare('create index tb on t(b)').run();
  raw.prepare('create table u (id text primary key, v integer)').run();
  for (let i = 0; i < 1000; i++) raw.prepare('insert into u values (?, ?)').run(`u${i}`, 0);
  // The checkpointer's worker takes over once it runs.
  await new Promise((r) => setTimeout(r, 300));
  const commit = database.sqliteCommit;
  const ins = raw.prepare('insert into t (a, b) values (?, ?)');
  const up = raw.prepare('update u set v = v + 1 where id = ?');
  const begin = raw.prepare('begin immediate');
  const end = raw.prepare('commit');
  const onLoop: number[] = [];
  const syncs: number[] = [];
  const text = 'x'.repeat(300);
  const t0 = performance.now();
  for (let k = 0; k < batches; k++) {
    const b = performance.now();
    if (commit) await commit.begin();
    else begin.run();
    let held = performance.now() - b;
    for (let j = 0; j < 64; j++) {
      ins.run(text, k * 64 + j);
      up.run(`u${(k * 7 + j) % 1000}`);
    }
    const c = performance.now();
    end.run();
    commit?.end();
    held += performance.now() - c;
    onLoop.push(held);
    if (commit) {
      const s = performance.now();
      await commit.sync();
      syncs.push(performance.now() - s);
    } else await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t0;
  const walMb = statSync(`${path}-wal`).size / 2 ** 20;
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  onLoop.sort((a, b) => a - b);
  syncs.sort((a, b) => a - b);
  const f = (xs: number[], p: number) => (xs.length ? percentile(xs, p).toFixed(2) : '-');
  console.log(
    `${mode.padEnd(8)} ${batches} batches in ${ms.toFixed(0)} ms; BEGIN + COMMIT on the event loop p50 ${f(onLoop, 50)} p99 ${f(onLoop, 99)} max ${f(onLoop, 100)} ms; WAL sync off the loop p50 ${f(syncs, 50)} p99 ${f(syncs, 99)} ms; WAL file ${walMb.toFixed(1)} MB`,
  );
}

console.log(`load ${load()}`);
for (const mode of ['inline', 'off-loop', 'off-loop', 'inline'] as const) await run(mode);
console.log(`load ${load()}`);
