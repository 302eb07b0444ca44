/**
 * Single-use tokens mailed to a user (email verification, password reset). The token is
 * 32 random bytes; only its SHA-256 is stored, so a copy of the database opens nothing.
 * Using one is a conditional update (unused, unexpired), so it works once however many
 * requests race with it.
 */
import { hash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuthTokenPurpose, DB } from '../../db/schema.js';
import { newId } from '../ids.js';

export const VERIFY_EMAIL_TTL_MS = 24 * 3600_000;
export const RESET_PASSWORD_TTL_MS = 30 * 60_000;

export function hashToken(token: string): string {
  return hash('sha256', token);
}

/** Makes a token for `userId`; returns it (the only copy). */
export async function issueAuthToken(
  db: Kysely<DB>,
  userId: string,
  purpose: AuthTokenPurpose,
  ttlMs: number,
  now: number,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('auth_tokens')
    .values({
      id: newId(now),
      user_id: userId,
      purpose,
      token_hash: hashToken(token),
      expires_at: now + ttlMs,
      used_at: null,
      created_at: now,
    })
    .execute();
  return token;
}

/** The user a usable token belongs to, without using it; null for an unknown, used or expired token. */
export async function peekAuthToken(db: Kysely<DB>, token: string, purpose: AuthTokenPurpose, now: number): Promise<string | null> {
  const row = await db
    .selectFrom('auth_tokens')
    .select('user_id')
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row?.user_id ?? null;
}

/**
 * Uses a token: the user it belonged to, or null when it is unknown, used or expired.
 * Every other token of the same purpose of that user is used up with it.
 */
export async function consumeAuthToken(db: Kysely<DB>, token: string, purpose: AuthTokenPurpose, now: number): Promise<string | null> {
  const row = await db
    .updateTable('auth_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('user_id')
    .executeTakeFirst();
  if (!row) return null;
  await db
    .updateTable('auth_tokens')
    .set({ used_at: now })
    .where('user_id', '=', row.user_id)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
  return row.user_id;
}
