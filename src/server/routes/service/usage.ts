import { serviceUsageBody, serviceUsageResponse, usageBatchBody, usageBatchResponse } from '../../../contracts/service.js';
import { getMemberCustomer } from '../../../core/customers/upsert-customer.js';
import { recordUsageBatch } from '../../../core/usage/record-usage-batch.js';
import { serviceUsageMetadata } from '../../../core/usage/usage-metadata.js';
import type { App, AppContext } from '../../context.js';
import { chargeSummary } from '../../plugins/credit-guard.js';
import { sendReply } from '../../plugins/idempotency.js';
import { apiKeyOf, keyScope } from '../../plugins/service-auth.js';
import { answers, serviceRoutes } from '../../route-docs.js';

/** Usage reported by the platform's backends, one event at a time or in batches. */
export async function serviceUsageRoutes(app: App, ctx: AppContext) {
  const route = serviceRoutes({ onRequest: ctx.authenticateService });

  app.post(
    '/api/v1/usage',
    route(
      'Charge a customer’s usage',
      'Service API key; `Idempotency-Key` required (scoped to the API key: two keys never see each other’s). Charges `quantity` of `unit` of `operation` to `customer` by the active rule (`quantity` in the unit’s base quantity: seconds for `per_minute`, bytes for `per_mb`, tokens for `per_1k_tokens`). `metadata` (a JSON object, at most 4 KiB) is kept on the usage row and shown in the customer’s history as the transaction’s `metadata`, beside `operation`, `unit` and `quantity`. Unknown customer 404; short of credits 402 and nothing charged.',
      { body: serviceUsageBody, response: answers({ 201: serviceUsageResponse }, 400, 401, 402, 404, 409) },
    ),
    async (req, reply) => {
      const b = req.body;
      const key = apiKeyOf(req);
      const c = await getMemberCustomer(ctx.core.database.db, b.customer, b.member);
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
        scope: keyScope(key),
        requireKey: true,
        render: (applied) => ({ status: 201, body: { usage: { id: applied.usageId ?? null }, credits: chargeSummary(applied) } }),
      });
      return sendReply(reply, r);
    },
  );

  app.post(
    '/api/v1/usage/batch',
    {
      ...route(
        'Charge a batch of usage events',
        'Service API key. 1 to 1,000 events `{id, customer, member?, operation, unit, quantity, metadata?}` (more is 400). Each event stands alone and is answered in order in `results`: `charged` (with `charged` credits), `duplicate` (its `id` was charged before by this API key, in an earlier batch or earlier in this one: nothing again), `insufficient_credits`, or `invalid` (malformed, unknown customer or pricing rule: `error` says why). One event’s failure never blocks another. The whole batch is one database transaction through the ledger’s writer, so it costs about one commit. Ids are idempotency keys of this API key (`event:<id>`), so resending a batch after a lost answer charges nothing twice.',
        { body: usageBatchBody, response: answers({ 200: usageBatchResponse }, 400, 401, 413) },
      ),
      // 1,000 events with up to 4 KiB of metadata each.
      bodyLimit: 6 * 1024 * 1024,
    },
    async (req) => {
      const key = apiKeyOf(req);
      const results = await recordUsageBatch(ctx.core, { scope: keyScope(key), events: req.body.events });
      return { results };
    },
  );
}
