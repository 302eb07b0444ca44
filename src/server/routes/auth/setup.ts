import { createFirstAdmin } from '../../../core/accounts/create-first-admin.js';
import { getSetupStatus } from '../../../core/accounts/get-setup-status.js';
import type { App, AppContext } from '../../context.js';
import { HttpError } from '../../http-errors.js';
import { toUser } from '../../presenters.js';
import { routes } from '../../route-docs.js';

/** The first hour: the one-time setup link the server prints creates the first super admin. */
export async function setupRoutes(app: App, ctx: AppContext) {
  const route = routes(app, { tag: 'auth' });
  route('GET /api/setup', async () => ({ ...(await getSetupStatus(ctx.core.database.db)), builtin: ctx.config.builtinAuth }));

  route(
    'POST /api/setup',
    { options: { config: { rateLimit: { max: ctx.config.authRateLimit, timeWindow: 15 * 60_000 } } } },
    async (req, reply) => {
      // The setup signs in with a password: off with the rest of built-in sign-in.
      if (!ctx.config.builtinAuth) {
        throw new HttpError(
          'forbidden',
          "Built-in sign-up and sign-in are off on this server (AUTH_BUILTIN=false): an administrator is named by the platform's role claim (AUTH_ROLE_CLAIM) or `credits users set-role`.",
        );
      }
      const user = await createFirstAdmin(ctx.core, req.body, ctx.config.passwordMinScore);
      return reply.status(201).send({ user: toUser(user), token: await ctx.tokens.sign(user.id, 0) });
    },
  );
}
