import { timingSafeEqual } from 'node:crypto';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, conflict } from '../errors.js';
import type { Core } from '../index.js';
import { hashSetupToken } from './create-setup-token.js';
import { type CreatedUser, createUser } from './create-user.js';

export interface FirstAdmin {
  token: string;
  email: string;
  name: string;
  password: string;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Creates the first super admin with a setup token, using the token up in the same
 * transaction. Once any super admin exists it is a conflict; a wrong, used or expired
 * token is unauthorized. Two attempts at once (also on two instances) run one after the
 * other, so exactly one succeeds.
 */
export async function createFirstAdmin(core: Core, input: FirstAdmin, passwordMinScore?: number): Promise<CreatedUser> {
  const hash = hashSetupToken(input.token);
  let tokenId = '';
  return createUser(core.writer, {
    email: input.email,
    name: input.name,
    password: input.password,
    passwordMinScore,
    role: 'super_admin',
    before: async ({ trx, now }) => {
      // Postgres: lock the unused tokens, so a concurrent setup waits here and then sees the new admin.
      const unused = trx.selectFrom('setup_tokens').select(['id', 'token_hash', 'expires_at']).where('used_at', 'is', null).orderBy('id');
      const tokens = core.database.dialect === 'postgres' ? await unused.forUpdate().execute() : await unused.execute();
      const admin = await trx.selectFrom('users').select('id').where('role', '=', 'super_admin').executeTakeFirst();
      if (admin) throw conflict('This service already has a super admin; sign in instead.');
      const match = tokens.find((t) => t.expires_at > now && sameHash(t.token_hash, hash));
      if (!match) throw new DomainError('unauthorized', 'This setup link is not valid, has expired or was already used.');
      tokenId = match.id;
      await trx.updateTable('setup_tokens').set({ used_at: now }).where('id', '=', match.id).execute();
    },
    after: async ({ trx, now }, user) => {
      await recordAudit(
        trx,
        { actorId: user.id, action: 'setup.super_admin', targetType: 'user', targetId: user.id, details: { tokenId } },
        now,
      );
    },
  });
}
