import { authResponse, loginBody, meResponse, registerBody } from '../../../contracts/auth.js';
import { errorSchema } from '../../../contracts/common.js';
import { createUser, normalizeEmail } from '../../../core/accounts/create-user.js';
import { DUMMY_HASH_PROMISE, verifyPassword } from '../../../core/accounts/password.js';
import type { App, AppContext } from '../../app.js';
import { HttpError } from '../../http-errors.js';
import { principal } from '../../plugins/auth.js';

export function toUser(u: { id: string; email: string; name: string; role: 'user' | 'admin' | 'super_admin'; created_at?: number; createdAt?: number }) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    createdAt: new Date((u.created_at ?? u.createdAt) as number).toISOString(),
  };
}

const FAILED_LOGIN_LIMIT = 10;
const WINDOW_MS = 15 * 60_000;

/**
 * Sign-in attempts per email in a sliding 15-minute window (in memory, per instance). An
 * attempt is counted when it starts, before the password hash is checked, and forgotten
 * only if it succeeds: parallel guesses all count, so at most FAILED_LOGIN_LIMIT of them
 * are ever checked against the hash however they arrive.
 */
class FailedLogins {
  private attempts = new Map<string, number[]>();

  /** Counts an attempt; the seconds to wait instead when the limit is reached. */
  begin(email: string, now: number): number | null {
    const list = (this.attempts.get(email) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length >= FAILED_LOGIN_LIMIT) {
      this.attempts.set(email, list);
      return Math.max(1, Math.ceil(((list[0] as number) + WINDOW_MS - now) / 1000));
    }
    if (this.attempts.size > 100_000) this.attempts.clear();
    list.push(now);
    this.attempts.set(email, list);
    return null;
  }

  /** A successful sign-in clears the email's count. */
  succeeded(email: string) {
    this.attempts.delete(email);
  }
}

export async function authRoutes(app: App, ctx: AppContext) {
  const failed = new FailedLogins();
  const limit = {
    rateLimit: { max: ctx.config.authRateLimit, timeWindow: WINDOW_MS },
  };

  app.post(
    '/api/auth/register',
    {
      config: limit,
      schema: { tags: ['auth'], summary: 'Sign up', description: 'Creates a `user` with an empty balance (plus `SIGNUP_BONUS_CREDITS` when set) and answers a session token (JWT, Bearer). The email is case-insensitive and unique (409 when taken); the password needs at least 8 characters; `role` and balances in the body are ignored. Limited per IP (`AUTH_RATE_LIMIT` per 15 minutes).', body: registerBody, response: { 201: authResponse, 400: errorSchema, 409: errorSchema } },
    },
    async (req, reply) => {
      const user = await createUser(ctx.core.writer, {
        email: req.body.email,
        name: req.body.name,
        password: req.body.password,
        role: 'user',
        signupBonusMc: ctx.config.signupBonusMc,
      });
      const token = await ctx.tokens.sign(user.id);
      return reply.status(201).send({ user: toUser(user), token });
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: limit,
      schema: { tags: ['auth'], summary: 'Sign in', description: 'Answers the user and a session token. A wrong password and an unknown email get the same 401 and take the same time. Failed sign-ins are limited per email and per IP; beyond that 429 with `Retry-After`.', body: loginBody, response: { 200: authResponse, 401: errorSchema, 429: errorSchema } },
    },
    async (req) => {
      const email = normalizeEmail(req.body.email);
      const now = Date.now();
      const wait = failed.begin(email, now);
      if (wait !== null) {
        throw new HttpError('rate_limited', 'Too many failed sign-ins for this email; retry later.', undefined, {
          'retry-after': String(wait),
        });
      }
      const row = await ctx.core.database.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      // An unknown email costs the same hash as a wrong password, and answers the same.
      const ok = await verifyPassword(req.body.password, row?.password_hash ?? (await DUMMY_HASH_PROMISE));
      if (!row || !ok) throw new HttpError('unauthorized', 'The email or password is wrong.');
      failed.succeeded(email);
      return { user: toUser(row), token: await ctx.tokens.sign(row.id) };
    },
  );

  app.get(
    '/api/auth/me',
    {
      onRequest: ctx.authenticate,
      schema: { tags: ['auth'], summary: 'The signed-in user', description: 'The user of the Bearer token, with the role as it is now (a role change applies at once).', security: [{ bearer: [] }], response: { 200: meResponse, 401: errorSchema } },
    },
    async (req) => {
      const p = principal(req);
      const row = await ctx.core.database.db.selectFrom('users').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
      return { user: toUser(row) };
    },
  );
}
