import { newId } from '../../../core/ids.js';
import { isoTime } from '../../../core/iso-time.js';
import type { App, AppContext } from '../../context.js';
import { signedInRoutes } from '../../route-docs.js';
import { chargeSummary } from '../../plugins/credit-guard.js';
import { sendReply } from '../../plugins/idempotency.js';

export async function messageRoutes(app: App, ctx: AppContext) {
  const route = signedInRoutes(app, ctx, 'platform');
  route('POST /api/messages', async (req, reply) => {
    const r = await ctx.guard.charge(req, {
      operation: 'message',
      unit: 'per_message',
      quantityMilli: 1000,
      metadata: { to: req.body.to, length: req.body.body.length },
      render: (applied) => ({
        status: 201,
        body: {
          message: {
            id: applied.usageId ?? newId(),
            to: req.body.to,
            status: 'sent' as const,
            createdAt: isoTime(applied.createdAt),
          },
          credits: chargeSummary(applied),
        },
      }),
    });
    return sendReply(reply, r);
  });
}
