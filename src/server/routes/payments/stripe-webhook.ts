import { handleStripeEvent } from '../../../core/payments/stripe-flows.js';
import type { App, AppContext } from '../../context.js';
import { HttpError } from '../../http-errors.js';
import { routes } from '../../route-docs.js';

/**
 * Stripe's webhook. The body is kept raw (a parser in this scope only) so the signature
 * is checked over exactly what Stripe sent; the event id is recorded in the same
 * transaction as its effect; 2xx only after that commit; 5xx only when a retry could help.
 */
export async function stripeWebhookRoutes(app: App, ctx: AppContext) {
  await app.register(async (scope: App) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    routes(scope, { tag: 'payments' })('POST /api/credits/stripe/webhook', async (req) => {
      const provider = ctx.services.payments;
      if (!provider) throw new HttpError('validation_error', 'Stripe is not configured on this server.');
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from('');
      let event: ReturnType<typeof provider.verifyWebhook>;
      try {
        event = provider.verifyWebhook(raw, req.headers['stripe-signature'] as string | undefined);
      } catch {
        throw new HttpError('validation_error', 'The Stripe-Signature header is missing, wrong or too old.');
      }
      // Signed, yet not an event's shape (a test's `{}`, a hand-made body): 400, nothing applied.
      const o = event as unknown as { id?: unknown; type?: unknown; data?: { object?: unknown } } | null;
      if (
        typeof o?.id !== 'string' ||
        typeof o.type !== 'string' ||
        typeof o.data?.object !== 'object' ||
        o.data.object === null ||
        Array.isArray(o.data.object)
      ) {
        throw new HttpError('validation_error', 'The body is not a Stripe event: it needs `id`, `type` and `data.object`.');
      }
      const outcome = await handleStripeEvent(ctx.core, provider, event);
      req.log.info({ eventId: event.id, type: event.type, outcome }, 'stripe event');
      return { received: true as const, outcome };
    });
  });
}
