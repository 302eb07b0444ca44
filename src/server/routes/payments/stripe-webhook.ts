import { errorSchema } from '../../../contracts/common.js';
import { stripeWebhookResponse } from '../../../contracts/credits-extra.js';
import { handleStripeEvent } from '../../../core/payments/stripe-flows.js';
import type { App, AppContext } from '../../context.js';
import { HttpError } from '../../http-errors.js';

/**
 * Stripe's webhook. The body is kept raw (a parser in this scope only) so the signature
 * is checked over exactly what Stripe sent; the event id is recorded in the same
 * transaction as its effect; 2xx only after that commit; 5xx only when a retry could help.
 */
export async function stripeWebhookRoutes(app: App, ctx: AppContext) {
  await app.register(async (scope: App) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    scope.post(
      '/api/credits/stripe/webhook',
      {
        schema: {
          tags: ['payments'],
          summary: 'Stripe webhook',
          description:
            'Stripe calls this. The raw body’s `Stripe-Signature` is checked against `STRIPE_WEBHOOK_SECRET` (300 s tolerance; else 400, nothing changes). Each event id is applied once, in the transaction of its effect: `payment_intent.succeeded` adds the credits, `payment_intent.payment_failed` marks the payment, `charge.refunded` takes back the refunded share, `charge.dispute.created` holds and `charge.dispute.closed` takes or releases the disputed credits. Other events are 200 and ignored.',
          response: { 200: stripeWebhookResponse, 400: errorSchema },
        },
      },
      async (req) => {
        const provider = ctx.services.payments;
        if (!provider) throw new HttpError('validation_error', 'Stripe is not configured on this server.');
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from('');
        let event: ReturnType<typeof provider.verifyWebhook>;
        try {
          event = provider.verifyWebhook(raw, req.headers['stripe-signature'] as string | undefined);
        } catch {
          throw new HttpError('validation_error', 'The Stripe-Signature header is missing, wrong or too old.');
        }
        const outcome = await handleStripeEvent(ctx.core, provider, event);
        req.log.info({ eventId: event.id, type: event.type, outcome }, 'stripe event');
        return { received: true as const, outcome };
      },
    );
  });
}
