import { getUser } from '../../../core/accounts/get-user.js';
import { clientOf, countAttempt, counterKey } from '../../../core/accounts/count-attempt.js';
import { type SendMail, accountLinks } from '../../../core/accounts/mailer.js';
import { registerUser, registerWithVerification } from '../../../core/accounts/register-user.js';
import { requestEmailVerification } from '../../../core/accounts/request-email-verification.js';
import { requestPasswordReset } from '../../../core/accounts/request-password-reset.js';
import { resetPassword } from '../../../core/accounts/reset-password.js';
import { signIn } from '../../../core/accounts/sign-in.js';
import { changePassword } from '../../../core/accounts/change-password.js';
import { signOut } from '../../../core/accounts/sign-out.js';
import { verifyEmail } from '../../../core/accounts/verify-email.js';
import { DomainError, rateLimited } from '../../../core/errors.js';
import type { FastifyRequest } from 'fastify';
import type { App, AppContext } from '../../context.js';
import { HttpError } from '../../http-errors.js';
import { algOf, bearerToken, principal } from '../../plugins/auth.js';
import { toUser } from '../../presenters.js';
import { BEARER, routes } from '../../route-docs.js';

const WINDOW_MS = 15 * 60_000;
const MAIL_SENT = 'If this address can receive it, a mail with a link is on its way. The link works once.';

export async function authRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const { config } = ctx;

  /** Every auth request counts against its client address (AUTH_RATE_LIMIT per 15 minutes, shared by all instances). */
  const perClient = async (req: FastifyRequest) => {
    const now = Date.now();
    const c = await countAttempt(db, counterKey('auth:ip', clientOf(req.ip)), WINDOW_MS, now);
    if (c.count > config.authRateLimit) throw rateLimited('Too many requests from this address; retry later.', (c.resetAt - now) / 1000);
  };
  /** AUTH_BUILTIN=false: the platform's identity provider signs users in; password sign-up and sign-in are off. */
  const builtinOnly = async (req: FastifyRequest) => {
    if (!config.builtinAuth)
      throw new HttpError(
        'forbidden',
        "Built-in sign-up and sign-in are off on this server (AUTH_BUILTIN=false): sign in through the platform's identity provider.",
      );
    await perClient(req);
  };
  const route = routes(app, { tag: 'auth', onRequest: builtinOnly });

  const mailer = ctx.services.mailer;
  const send: SendMail = (mail) => {
    if (!mailer) return;
    mailer
      .send(mail)
      .catch((err) => app.log.error({ err: { message: (err as Error).message }, subject: mail.subject }, 'account mail failed'));
  };
  const links = accountLinks(() => config.publicUrl ?? app.listeningOrigin);
  const needMail = () => {
    if (!mailer)
      throw new DomainError('email_unavailable', 'Email is not configured on this server; ask an administrator to reset your password.');
  };

  route('POST /api/auth/register', async (req, reply) => {
    const input = {
      email: req.body.email,
      name: req.body.name,
      password: req.body.password,
      signupBonusMc: config.signupBonusMc,
      passwordMinScore: config.passwordMinScore,
    };
    if (config.requireEmailVerification) {
      await registerWithVerification(ctx.core.writer, db, send, links, input);
      return reply.status(202).send({
        status: 'verification_sent' as const,
        message: `Check your inbox: we sent a link to ${input.email} to verify the address.`,
      });
    }
    const user = await registerUser(ctx.core.writer, input);
    return reply.status(201).send({ user: toUser(user), token: await ctx.tokens.sign(user.id, 0) });
  });

  route('POST /api/auth/login', async (req) => {
    const row = await signIn(db, {
      email: req.body.email,
      password: req.body.password,
      clientIp: req.ip,
      requireVerifiedEmail: config.requireEmailVerification,
    });
    return { user: toUser(row), token: await ctx.tokens.sign(row.id, row.token_version) };
  });

  route('POST /api/auth/verify-email', async (req) => {
    const row = await verifyEmail(ctx.core.writer, db, req.body.token, config.signupBonusMc);
    return { user: toUser(row), token: await ctx.tokens.sign(row.id, row.token_version) };
  });

  /** A route that mails a link when the address qualifies, and answers the same 202 in every case. */
  const mailLink = (key: 'POST /api/auth/verify-email/resend' | 'POST /api/auth/forgot-password', request: typeof requestPasswordReset) =>
    route(key, async (req, reply) => {
      needMail();
      await request(db, send, links, req.body.email);
      return reply.status(202).send({ status: 'accepted' as const, message: MAIL_SENT });
    });
  mailLink('POST /api/auth/verify-email/resend', requestEmailVerification);
  mailLink('POST /api/auth/forgot-password', requestPasswordReset);

  route('POST /api/auth/reset-password', async (req) => {
    const row = await resetPassword(ctx.core.writer, db, req.body.token, req.body.password, config.signupBonusMc, config.passwordMinScore);
    ctx.users.invalidate(row.id);
    return { user: toUser(row), token: await ctx.tokens.sign(row.id, row.token_version) };
  });

  route('POST /api/auth/password', { security: BEARER, onRequest: [builtinOnly, ctx.authenticate] }, async (req) => {
    const p = principal(req);
    const tv = await changePassword(ctx.core.writer, db, {
      userId: p.id,
      currentPassword: req.body.currentPassword,
      newPassword: req.body.newPassword,
      clientIp: req.ip,
      passwordMinScore: config.passwordMinScore,
    });
    ctx.users.invalidate(p.id);
    const row = await getUser(db, p.id);
    return { user: toUser(row), token: await ctx.tokens.sign(row.id, tv) };
  });

  route('POST /api/auth/logout', { security: BEARER, onRequest: ctx.authenticate }, async (req) => {
    const p = principal(req);
    // Only built-in tokens (HS256) are this server's to end: saying "signed out" to a platform
    // token, which goes on working until its provider ends it, would be untrue.
    if (algOf(bearerToken(req) ?? '') !== 'HS256') {
      throw new HttpError(
        'forbidden',
        "This is the platform's token: this server cannot end it (its identity provider does). Nothing was changed.",
      );
    }
    await signOut(ctx.core.writer, p.id);
    ctx.users.invalidate(p.id);
    return { status: 'signed_out' as const };
  });

  // The role is the one this request acts with: a platform token's role claim (AUTH_ROLE_CLAIM)
  // grants admin or super_admin while it says so, without writing it to the user's row.
  route('GET /api/auth/me', { security: BEARER, onRequest: ctx.authenticate }, async (req) => {
    const p = principal(req);
    return { user: { ...toUser(await getUser(db, p.id)), role: p.role } };
  });
}
