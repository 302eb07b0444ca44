import { setupBody, setupResponse, setupStatus } from '../../../contracts/setup.js';
import { createFirstAdmin } from '../../../core/accounts/create-first-admin.js';
import { getSetupStatus } from '../../../core/accounts/get-setup-status.js';
import type { App, AppContext } from '../../context.js';
import { toUser } from '../../presenters.js';
import { answers } from '../../route-docs.js';

/** The first hour: the one-time setup link the server prints creates the first super admin. */
export async function setupRoutes(app: App, ctx: AppContext) {
  app.get(
    '/api/setup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Whether the first super admin is still to be created',
        description: 'Public. `required` is true while no super admin exists; the dashboard’s `/setup` page asks before showing its form.',
        response: { 200: setupStatus },
      },
    },
    async () => getSetupStatus(ctx.core.database.db),
  );

  app.post(
    '/api/setup',
    {
      config: { rateLimit: { max: ctx.config.authRateLimit, timeWindow: 15 * 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Create the first super admin with the one-time setup token',
        description:
          'While the service has no super admin, every start prints a link `/setup?token=...` (valid 24 hours, single use). ' +
          'This creates the super admin with that token and answers a session token, like sign-up. ' +
          'A wrong, used or expired token is 401 `unauthorized`; once a super admin exists, 409 `conflict`. ' +
          'Alternatively set `SUPER_ADMIN_EMAIL` and `SUPER_ADMIN_PASSWORD` and restart.',
        body: setupBody,
        response: answers({ 201: setupResponse }, 400, 401, 409, 429),
      },
    },
    async (req, reply) => {
      const user = await createFirstAdmin(ctx.core, req.body);
      return reply.status(201).send({ user: toUser(user), token: await ctx.tokens.sign(user.id, 0) });
    },
  );
}
