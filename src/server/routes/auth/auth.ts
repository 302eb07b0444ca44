import {
  authResponse,
  changePasswordBody,
  emailOnlyBody,
  loginBody,
  mailRequestedResponse,
  meResponse,
  registerBody,
  resetPasswordBody,
  signedOutResponse,
  verificationSentResponse,
  verifyEmailBody,
} from '../../../contracts/auth.js';
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
import { principal } from '../../plugins/auth.js';
import { toUser } from '../../presenters.js';
import { answers, signedIn } from '../../route-docs.js';

const WINDOW_MS = 15 * 60_000;
const MAIL_SENT = 'If this address can receive it, a mail with a link is on its way. The link works once.';

export async function authRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const { config } = ctx;
  const tag = { tags: ['auth'] };

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
  const builtin = { onRequest: builtinOnly };
  const builtinNote = ' 403 `forbidden` when built-in sign-in is off (AUTH_BUILTIN=false).';

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

  app.post(
    '/api/auth/register',
    {
      ...builtin,
      schema: {
        ...tag,
        summary: 'Sign up',
        description:
          'The password must have at least 8 characters and not be easy to guess (common passwords, keyboard patterns, repeats and the email or name are refused: 400 `validation_error`, the reason in `details.fields`). ' +
          'Without REQUIRE_EMAIL_VERIFICATION: 201 with a token, 409 for a taken email. With it: 202 `verification_sent` whether the email is new or taken (nothing tells which), a link is mailed, and the sign-up bonus is granted when the address is verified.' +
          builtinNote,
        body: registerBody,
        response: answers({ 201: authResponse, 202: verificationSentResponse }, 400, 403, 409, 429),
      },
    },
    async (req, reply) => {
      const input = { email: req.body.email, name: req.body.name, password: req.body.password, signupBonusMc: config.signupBonusMc };
      if (config.requireEmailVerification) {
        await registerWithVerification(ctx.core.writer, db, send, links, input);
        return reply.status(202).send({
          status: 'verification_sent' as const,
          message: `Check your inbox: we sent a link to ${input.email} to verify the address.`,
        });
      }
      const user = await registerUser(ctx.core.writer, input);
      return reply.status(201).send({ user: toUser(user), token: await ctx.tokens.sign(user.id, 0) });
    },
  );

  app.post(
    '/api/auth/login',
    {
      ...builtin,
      schema: {
        ...tag,
        summary: 'Sign in',
        description:
          'A wrong password and an unknown email answer the same 401. At most 10 failed sign-ins per email from one client address in 15 minutes (then 429 with Retry-After); ' +
          'failures for one email from all clients together slow its sign-ins down (up to 2 s each) but never refuse them, so nobody can lock a user out. ' +
          'With REQUIRE_EMAIL_VERIFICATION, a correct password for an unverified address is 403 `email_not_verified`.' +
          builtinNote,
        body: loginBody,
        response: answers({ 200: authResponse }, 401, 403, 429),
      },
    },
    async (req) => {
      const row = await signIn(db, {
        email: req.body.email,
        password: req.body.password,
        clientIp: req.ip,
        requireVerifiedEmail: config.requireEmailVerification,
      });
      return { user: toUser(row), token: await ctx.tokens.sign(row.id, row.token_version) };
    },
  );

  app.post(
    '/api/auth/verify-email',
    {
      ...builtin,
      schema: {
        ...tag,
        summary: 'Verify an email address with the mailed token',
        description:
          'The token from the verification link (valid once, for 24 hours). Verifies the address, grants the sign-up bonus if it was withheld, and signs in. An unknown, used or expired token is 400.' +
          builtinNote,
        body: verifyEmailBody,
        response: answers({ 200: authResponse }, 400, 403, 429),
      },
    },
    async (req) => {
      const row = await verifyEmail(ctx.core.writer, db, req.body.token, config.signupBonusMc);
      return { user: toUser(row), token: await ctx.tokens.sign(row.id, row.token_version) };
    },
  );

  /** A route that mails a link when the address qualifies, and answers the same 202 in every case. */
  const mailLink = (path: string, summary: string, description: string, request: typeof requestPasswordReset) =>
    app.post(
      path,
      {
        ...builtin,
        schema: {
          ...tag,
          summary,
          description: description + builtinNote,
          body: emailOnlyBody,
          response: answers({ 202: mailRequestedResponse }, 400, 403, 429, 503),
        },
      },
      async (req, reply) => {
        needMail();
        await request(db, send, links, req.body.email);
        return reply.status(202).send({ status: 'accepted' as const, message: MAIL_SENT });
      },
    );
  mailLink(
    '/api/auth/verify-email/resend',
    'Send a new verification link',
    'Mails a new link when the address has an unverified account; answers the same 202 in every case. At most 5 mails per address per hour.',
    requestEmailVerification,
  );
  mailLink(
    '/api/auth/forgot-password',
    'Mail a password-reset link',
    'Mails a single-use link (30 minutes) when the address has an account; answers the same 202 in every case. At most 5 mails per address per hour. 503 `email_unavailable` when no mail server is configured (GET /api/config says `emailEnabled`).',
    requestPasswordReset,
  );

  app.post(
    '/api/auth/reset-password',
    {
      ...builtin,
      schema: {
        ...tag,
        summary: 'Set a new password with the mailed token',
        description:
          'The token from the reset link (valid once, for 30 minutes; only its hash is stored). The new password meets the sign-up policy; a refused password leaves the link usable. Also verifies the address, and signs in.' +
          builtinNote,
        body: resetPasswordBody,
        response: answers({ 200: authResponse }, 400, 403, 429),
      },
    },
    async (req) => {
      const row = await resetPassword(ctx.core.writer, db, req.body.token, req.body.password, config.signupBonusMc);
      ctx.users.invalidate(row.id);
      return { user: toUser(row), token: await ctx.tokens.sign(row.id, row.token_version) };
    },
  );

  app.post(
    '/api/auth/password',
    {
      onRequest: [builtinOnly, ctx.authenticate],
      schema: {
        ...tag,
        summary: 'Change the password',
        description:
          'The current password and a new one (under the sign-up policy: 400 `validation_error` naming `newPassword`). A wrong current password is 403 `forbidden` and counts as a failed sign-in (the same limits: 429 with Retry-After). ' +
          'Every token issued to the user before, on every instance, stops working (401); the answer carries a new token.' +
          builtinNote,
        security: [{ bearer: [] }],
        body: changePasswordBody,
        response: answers({ 200: authResponse }, 400, 401, 403, 429),
      },
    },
    async (req) => {
      const p = principal(req);
      const tv = await changePassword(ctx.core.writer, db, {
        userId: p.id,
        currentPassword: req.body.currentPassword,
        newPassword: req.body.newPassword,
        clientIp: req.ip,
      });
      ctx.users.invalidate(p.id);
      const row = await getUser(db, p.id);
      return { user: toUser(row), token: await ctx.tokens.sign(row.id, tv) };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...tag,
        summary: 'Sign out everywhere',
        description:
          'Ends every built-in token issued to the user so far, this one included, on every instance: each is 401 from now on. ' +
          'A token of the platform’s identity provider is ended by the provider, not here (signing out with one still ends the user’s built-in tokens).',
        security: [{ bearer: [] }],
        response: answers({ 200: signedOutResponse }, 401),
      },
    },
    async (req) => {
      const p = principal(req);
      await signOut(ctx.core.writer, p.id);
      ctx.users.invalidate(p.id);
      return { status: 'signed_out' as const };
    },
  );

  app.get(
    '/api/auth/me',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...signedIn(
          'auth',
          'The signed-in user',
          'The user of the Bearer token, with the role as it is now (a role change applies at once).',
        ),
        response: answers({ 200: meResponse }, 401),
      },
    },
    async (req) => ({ user: toUser(await getUser(db, principal(req).id)) }),
  );
}
