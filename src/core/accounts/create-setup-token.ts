import { hash, randomBytes } from 'node:crypto';
import type { Core } from '../index.js';
import { newId } from '../ids.js';

/** How long a printed setup link stays valid. */
export const SETUP_TOKEN_TTL_MS = 24 * 3600_000;

export function hashSetupToken(token: string): string {
  return hash('sha256', token);
}

/**
 * Makes a one-time setup token while the service has no super admin and returns it (the
 * database keeps only its hash), or null when a super admin exists. Each start makes its
 * own; any unexpired, unused one works until a super admin exists.
 */
export async function createSetupToken(core: Core, ttlMs = SETUP_TOKEN_TTL_MS): Promise<string | null> {
  return core.writer.transaction(async ({ trx, now }) => {
    const admin = await trx.selectFrom('users').select('id').where('role', '=', 'super_admin').executeTakeFirst();
    if (admin) return null;
    await trx.deleteFrom('setup_tokens').where('expires_at', '<', now).execute();
    const token = randomBytes(32).toString('base64url');
    await trx
      .insertInto('setup_tokens')
      .values({ id: newId(now), token_hash: hashSetupToken(token), created_at: now, expires_at: now + ttlMs, used_at: null })
      .execute();
    return token;
  });
}
