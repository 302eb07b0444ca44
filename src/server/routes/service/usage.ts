import { recordUsageBatch } from '../../../core/usage/record-usage-batch.js';
import { serviceUsageMetadata } from '../../../core/usage/usage-metadata.js';
import type { App, AppContext } from '../../context.js';
import { chargeSummary } from '../../plugins/credit-guard.js';
import { sendReply } from '../../plugins/idempotency.js';
import { namedCustomer, serviceScope } from '../../plugins/service-auth.js';
import { serviceRoutes } from '../../route-docs.js';

/** Usage reported by the platform's backends, one event at a time or in batches. */
export async function serviceUsageRoutes(app: App, ctx: AppContext) {
  const route = serviceRoutes(app, ctx);

  route('POST /api/v1/usage', async (req, reply) => {
    const b = req.body;
    const { scope, customer: c } = await namedCustomer(ctx.core.database.db, req, b);
    const r = await ctx.guard.charge(req, {
      userId: c.id,
      memberId: c.memberId,
      bypass: c.role === 'super_admin',
      operation: b.operation,
      unit: b.unit,
      quantityMilli: b.quantity,
      metadata: b.metadata ?? null,
      transactionMetadata: serviceUsageMetadata({
        operation: b.operation,
        unit: b.unit,
        quantityMilli: b.quantity,
        metadata: b.metadata,
      }),
      scope,
      requireKey: true,
      render: (applied) => ({ status: 201, body: { usage: { id: applied.usageId ?? null }, credits: chargeSummary(applied) } }),
    });
    return sendReply(reply, r);
  });

  route(
    'POST /api/v1/usage/batch',
    {
      options: {
        // 1,000 events with up to 4 KiB of metadata each.
        bodyLimit: 6 * 1024 * 1024,
      },
    },
    async (req) => {
      const results = await recordUsageBatch(ctx.core, { scope: serviceScope(req), events: req.body.events });
      return { results };
    },
  );
}
