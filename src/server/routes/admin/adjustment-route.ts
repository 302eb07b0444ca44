/**
 * An admin's adjustment of an account's credits, one route for each kind of account: a
 * user's (`POST /api/admin/users/:id/adjustments`) and an organisation's
 * (`POST /api/admin/organizations/:id/adjustments`). The same body, answers and use-case;
 * the kind is the audit entry's `targetType` and decides which accounts the id may name.
 */
import { adjustmentBody, adjustmentResponse } from '../../../contracts/admin.js';
import { idParam } from '../../../contracts/common.js';
import { adjustCredits } from '../../../core/accounts/adjust-credits.js';
import type { App, AppContext } from '../../context.js';
import { principal, requireAdmin } from '../../plugins/auth.js';
import { sendReply } from '../../plugins/idempotency.js';
import { toAdjustment } from '../../presenters.js';
import { answers, signedIn } from '../../route-docs.js';

export function adjustmentRoute(
  app: App,
  ctx: AppContext,
  target: { kind: 'user' | 'organization'; path: string; summary: string; description: string },
) {
  app.post(
    target.path,
    {
      onRequest: [ctx.authenticate, requireAdmin],
      schema: {
        ...signedIn('admin', target.summary, target.description),
        params: idParam,
        body: adjustmentBody,
        response: answers({ 201: adjustmentResponse }, 400, 401, 402, 403, 404, 409),
      },
    },
    async (req, reply) => {
      const admin = principal(req);
      const { amount, reason, expiresAt } = req.body;
      const r = await ctx.idempotency.run(
        req,
        { scope: admin.id, render: (a) => ({ status: 201, body: toAdjustment(a, reason, admin.id) }) },
        (idem) =>
          adjustCredits(
            ctx.core,
            { userId: req.params.id, targetType: target.kind, amountMc: amount, reason, actorId: admin.id, expiresAt },
            idem,
          ),
      );
      return sendReply(reply, r);
    },
  );
}
