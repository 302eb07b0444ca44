/**
 * Fixed-window attempt counters kept in the database (`auth_counters`), so every
 * instance on one database counts the same attempts. A counter is bumped and read in
 * one statement (an upsert with RETURNING), so concurrent attempts each see a distinct
 * count: with a limit of 10, at most 10 of any number of parallel attempts are let
 * through. Keys are hashed: the table holds no email address or client address.
 */
import { hash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';

/** Counters older than this are swept; every window used is shorter. */
export const MAX_WINDOW_MS = 24 * 3600_000;

export interface AttemptCount {
  /** Attempts in the current window, this one included. */
  count: number;
  windowStart: number;
  /** When the window ends (ms). */
  resetAt: number;
}

/** The stored key of a counter: a hash of its parts (what is counted, and for whom). */
export function counterKey(...parts: string[]): string {
  return hash('sha256', parts.join('\u0000'));
}

/**
 * The client an address stands for when counting: an IPv4 address itself (also when
 * written IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its /64 prefix, the smallest
 * network one subscriber is given: counting each of its 2^64 addresses apart would give one
 * client unlimited tries.
 */
export function clientOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Counts one attempt under `key` in a window of `windowMs`; returns the count including it. */
export async function countAttempt(db: Kysely<DB>, key: string, windowMs: number, now: number): Promise<AttemptCount> {
  const expired = now - windowMs;
  const row = await db
    .insertInto('auth_counters')
    .values({ key, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when auth_counters.window_start <= ${expired} then 1 else auth_counters.count + 1 end`,
        window_start: sql<number>`case when auth_counters.window_start <= ${expired} then ${now} else auth_counters.window_start end`,
      }),
    )
    .returning(['count', 'window_start'])
    .executeTakeFirstOrThrow();
  const windowStart = Number(row.window_start);
  return { count: Number(row.count), windowStart, resetAt: windowStart + windowMs };
}

/** Takes back one attempt counted in the window that started at `windowStart` (an attempt that turned out not to count). */
export async function uncountAttempt(db: Kysely<DB>, key: string, windowStart: number): Promise<void> {
  await db
    .updateTable('auth_counters')
    .set((eb) => ({ count: eb('count', '-', 1) }))
    .where('key', '=', key)
    .where('window_start', '=', windowStart)
    .where('count', '>', 0)
    .execute();
}

/** Forgets a counter. */
export async function clearAttempts(db: Kysely<DB>, key: string): Promise<void> {
  await db.deleteFrom('auth_counters').where('key', '=', key).execute();
}

/** Deletes counters whose window ended long ago; returns how many. */
export async function sweepAttempts(db: Kysely<DB>, now: number): Promise<number> {
  const r = await db
    .deleteFrom('auth_counters')
    .where('window_start', '<', now - MAX_WINDOW_MS)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
