import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { DB } from '../../db/schema.js';
import { UserCache } from './auth.js';

interface Row {
  id: string;
  role: 'user' | 'admin';
  email: string;
  name: string;
  token_version: number;
}

/**
 * A stand-in for the users query: each read is held until the test releases it with the
 * row the table holds at that moment, so a test decides when a read returns.
 */
function heldReads() {
  const reads: ((row: Row | undefined) => void)[] = [];
  const query = {
    select: () => query,
    where: () => query,
    executeTakeFirst: () => new Promise<Row | undefined>((resolve) => reads.push(resolve)),
  };
  const db = { selectFrom: () => query } as unknown as Kysely<DB>;
  return { db, reads };
}

const user = (role: Row['role'], tv = 0): Row => ({ id: 'u1', role, email: 'a@example.com', name: 'A', token_version: tv });

describe('UserCache', () => {
  it('answers concurrent misses of one user with one read', async () => {
    const { db, reads } = heldReads();
    const users = new UserCache(db);
    const all = Array.from({ length: 64 }, () => users.get('u1'));
    expect(reads.length).toBe(1);
    reads[0]?.(user('user'));
    const got = await Promise.all(all);
    expect(new Set(got.map((p) => p?.role))).toEqual(new Set(['user']));
    expect(await users.get('u1')).toMatchObject({ role: 'user' });
    expect(reads.length).toBe(1);
  });

  it('never serves a read that started before an invalidation to a caller after it, nor keeps it', async () => {
    const { db, reads } = heldReads();
    const users = new UserCache(db);
    const before = users.get('u1'); // reads the row while it still says 'admin'
    expect(reads.length).toBe(1);
    // The role changes and the change invalidates the user while that read is in flight.
    users.invalidate('u1');
    const after = users.get('u1');
    expect(reads.length).toBe(2); // a read of its own, not the one in flight
    // The new read answers first; the old one, holding the row as it was, last.
    reads[1]?.(user('user', 1));
    expect(await after).toMatchObject({ role: 'user', tokenVersion: 1 });
    reads[0]?.(user('admin'));
    expect(await before).toMatchObject({ role: 'admin' });
    // The old read finished after the invalidation and after the new one: it was not kept.
    expect(await users.get('u1')).toMatchObject({ role: 'user', tokenVersion: 1 });
    expect(reads.length).toBe(2);
  });

  it('keeps nothing from a read in flight when every user is invalidated', async () => {
    const { db, reads } = heldReads();
    const users = new UserCache(db);
    const before = users.get('u1');
    users.invalidate(null);
    reads[0]?.(user('admin'));
    expect(await before).toMatchObject({ role: 'admin' });
    const after = users.get('u1');
    expect(reads.length).toBe(2);
    reads[1]?.(user('user', 1));
    expect(await after).toMatchObject({ role: 'user' });
  });

  it('reads afresh when asked, and an older read finishing later does not replace it', async () => {
    const { db, reads } = heldReads();
    const users = new UserCache(db);
    const cached = users.get('u1');
    const fresh = users.get('u1', true); // a token newer than the copy: read again
    expect(reads.length).toBe(2);
    reads[1]?.(user('user', 2));
    expect(await fresh).toMatchObject({ tokenVersion: 2 });
    reads[0]?.(user('user', 1));
    expect(await cached).toMatchObject({ tokenVersion: 1 });
    expect(await users.get('u1')).toMatchObject({ tokenVersion: 2 });
    expect(reads.length).toBe(2);
  });

  it('reads again once the copy is older than its time', async () => {
    let t = 0;
    const { db, reads } = heldReads();
    const users = new UserCache(db, 2000, () => t);
    const first = users.get('u1');
    reads[0]?.(user('user'));
    await first;
    t = 1999;
    await users.get('u1');
    expect(reads.length).toBe(1);
    t = 2000;
    const again = users.get('u1');
    expect(reads.length).toBe(2);
    reads[1]?.(undefined); // the user is gone
    expect(await again).toBeNull();
  });
});
