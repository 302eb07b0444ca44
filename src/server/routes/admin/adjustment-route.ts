/**
 * An admin's adjustment of an account's credits, one route for each kind of account: a
 * user's (`POST /api/admin/users/:id/adjustments`) and an organisation's
 * (`POST /api/admin/organizations/:id/adjustments`). The same body, answers and use-case;
 * the kind is the audit entry's `targetType` and decides which accounts the id may name.
 */
import { adjustCredits } from '../../../core/accounts/adjust-credits.js';
import type { App, AppContext } from '../../context.js';
import { principal } from '../../plugins/auth.js';
import { sendReply } from '../../plugins/idempotency.js';
import { toAdjustment } from '../../presenters.js';
import { adminOnlyRoutes } from '../../route-docs.js';

export function adjustmentRoute(
  app: App,
  ctx: AppContext,
  target: {
    kind: 'user' | 'organization';
    key: 'POST /api/admin/users/:id/adjustments' | 'POST /api/admin/organizations/:id/adjustments';
  },
) {
  adminOnlyRoutes(app, ctx)(target.key, async (req, reply) => {
    const admin = principal(req);
    const { amount, reason, expiresAt } = req.body;
    const r = await ctx.idempotency.run(
      req,
      { scope: admin.id, render: (a) => ({ status: 201, body: toAdjustment(a, reason, admin.id) }) },
      (idem) =>
        adjustCredits(
          ctx.core,
          // null: never expires, as absent.
          {
            userId: req.params.id,
            targetType: target.kind,
            amountMc: amount,
            reason,
            actorId: admin.id,
            expiresAt: expiresAt ?? undefined,
          },
          idem,
        ),
    );
    return sendReply(reply, r);
  });
}
