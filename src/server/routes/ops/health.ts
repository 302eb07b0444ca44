import { z } from 'zod';
import type { App, AppContext } from '../../app.js';

export async function healthRoutes(app: App, ctx: AppContext) {
  app.get(
    '/health/live',
    { schema: { tags: ['operations'], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['operations'],
        response: { 200: z.object({ status: z.literal('ok'), database: z.string() }), 503: z.object({ status: z.literal('unavailable'), database: z.string() }) },
      },
    },
    async (_req, reply) => {
      const ok = await ctx.core.database.ping();
      if (!ok) return reply.status(503).send({ status: 'unavailable' as const, database: ctx.core.database.dialect });
      return { status: 'ok' as const, database: ctx.core.database.dialect };
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], hide: false } }, async (_req, reply) => {
    ctx.metrics.writerQueueDepth.set(ctx.core.writer.queueDepth);
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/config',
    {
      schema: {
        tags: ['operations'],
        response: {
          200: z.object({
            paymentsProvider: z.enum(['stripe', 'simulated', 'none']),
            stripePublishableKey: z.string().nullable(),
            maxUploadMb: z.number(),
            callsSimulated: z.boolean().meta({ description: 'True without a VAPI key: calls end with the duration given to POST /api/vapi/calls/:id/end' }),
          }),
        },
      },
    },
    async () => ({
      paymentsProvider: ctx.config.stripe
        ? ('stripe' as const)
        : !ctx.config.isProduction || ctx.config.allowSimulatedPayments
          ? ('simulated' as const)
          : ('none' as const),
      stripePublishableKey: ctx.config.stripe?.publishableKey ?? null,
      maxUploadMb: ctx.config.maxUploadMb,
      callsSimulated: !ctx.config.vapi.apiKey,
    }),
  );
}
