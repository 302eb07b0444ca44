import { messageBody, messageResponse } from '../../../contracts/platform.js';
import { newId } from '../../../core/ids.js';
import type { App, AppContext } from '../../context.js';
import { answers, signedInRoutes } from '../../route-docs.js';
import { chargeSummary } from '../../plugins/credit-guard.js';
import { sendReply } from '../../plugins/idempotency.js';

export async function messageRoutes(app: App, ctx: AppContext) {
  const route = signedInRoutes({ onRequest: ctx.authenticate }, 'platform');
  app.post(
    '/api/messages',
    route(
      'Send a message',
      'Charges `message`/`per_message` (quantity 1) and answers the charge. `to` is 1 to 320 characters (a phone number, an address or a candidate id) without control or bidirectional override characters; `body` 1 to 10,000 characters, line breaks and tabs allowed. 402 when the available balance is short, and nothing is sent. Takes an `Idempotency-Key`.',
      { body: messageBody, response: answers({ 201: messageResponse }, 400, 401, 402, 409) },
    ),
    async (req, reply) => {
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
              createdAt: new Date(applied.createdAt).toISOString(),
            },
            credits: chargeSummary(applied),
          },
        }),
      });
      return sendReply(reply, r);
    },
  );
}
