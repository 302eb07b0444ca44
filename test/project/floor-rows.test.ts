/**
 * The floor's SQLite batch (bench/floor-rows.mjs): answered after its WAL sync, or, for
 * FLOOR_OVERLAP, once committed with the sync started and handed back unawaited.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the bench, without declarations
import { sqliteBatch, sqliteBatchStarted } from '../../bench/floor-rows.mjs';

/** A commit path that records its calls; its sync resolves when the test says. */
function fakeCommit() {
  const calls: string[] = [];
  let finishSync: () => void = () => {};
  return {
    calls,
    finishSync: () => finishSync(),
    commit: {
      begin: async () => void calls.push('begin'),
      commit: () => void calls.push('commit'),
      end: () => void calls.push('end'),
      sync: () => {
        calls.push('sync');
        return new Promise<void>((r) => {
          finishSync = r;
        });
      },
    },
    rollback: { run: () => void calls.push('rollback') },
  };
}

describe('the floor’s SQLite batch', () => {
  it('answers once committed with its sync started, and resolves `synced` when the sync does', async () => {
    const f = fakeCommit();
    const { out, synced } = await sqliteBatchStarted(f.commit, f.rollback, () => 42);
    expect(out).toBe(42);
    expect(f.calls).toEqual(['begin', 'commit', 'end', 'sync']);
    let done = false;
    void synced.then(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    f.finishSync();
    await synced;
    expect(done).toBe(true);
  });

  it('waits for the sync before answering when not overlapped', async () => {
    const f = fakeCommit();
    let answered = false;
    const p = sqliteBatch(f.commit, f.rollback, () => 'rows').then((v: string) => {
      answered = true;
      return v;
    });
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    f.finishSync();
    expect(await p).toBe('rows');
  });

  it('rolls back a batch whose body throws, ends it, and starts no sync', async () => {
    const f = fakeCommit();
    await expect(
      sqliteBatchStarted(f.commit, f.rollback, () => {
        throw new Error('insufficient credits');
      }),
    ).rejects.toThrow('insufficient credits');
    expect(f.calls).toEqual(['begin', 'rollback', 'end']);
  });
});
