import { z } from 'zod';
import type { App, AppContext } from '../../app.js';

const backupsSchema = z.union([
  z.object({ enabled: z.literal(false) }),
  z.object({
    enabled: z.literal(true),
    dir: z.string(),
    intervalSeconds: z.number(),
    keep: z.number().int(),
    running: z.boolean(),
    lastSuccessAt: z.string().nullable(),
    lastFailureAt: z.string().nullable(),
    lastError: z.string().nullable(),
    lastDurationMs: z.number().nullable(),
    lastSizeBytes: z.number().nullable(),
    lastFile: z.string().nullable(),
    consecutiveFailures: z.number().int(),
  }),
]);

export async function healthRoutes(app: App, ctx: AppContext) {
  app.get(
    '/health/live',
    { schema: { tags: ['operations'], summary: 'Liveness', description: 'Answers 200 while the process runs, without touching the database: for a process supervisor deciding whether to restart it.', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness',
        description:
          '200 when the database answers a trivial query; 503 when it does not (`unavailable`) or the service is stopping (`stopping`, after SIGTERM): for a load balancer deciding whether to send traffic here. `database` names the dialect (`sqlite` or `postgres`). `backups` tells how the scheduled backups of the embedded database go (`{enabled: false}` when off); a failing backup does not make the service unready.',
        response: {
          200: z.object({ status: z.literal('ok'), database: z.string(), backups: backupsSchema }),
          503: z.object({ status: z.enum(['unavailable', 'stopping']), database: z.string(), backups: backupsSchema }),
        },
      },
    },
    async (_req, reply) => {
      const database = ctx.core.database.dialect;
      const backups = ctx.services.backups?.status() ?? { enabled: false as const };
      if (ctx.lifecycle.stopping) return reply.status(503).header('retry-after', '1').send({ status: 'stopping' as const, database, backups });
      const ok = await ctx.core.database.ping();
      if (!ok) return reply.status(503).header('retry-after', '1').send({ status: 'unavailable' as const, database, backups });
      return { status: 'ok' as const, database, backups };
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', description: 'Request durations by route and status, ledger writer batch sizes and times, queue depth, credits charged per operation, the scheduled backups (last success and failure times, duration, size, counts by outcome) and the process’s own metrics, in the Prometheus text format.', hide: false } }, async (_req, reply) => {
    ctx.metrics.writerQueueDepth.set(ctx.core.writer.queueDepth);
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/config',
    {
      schema: {
        tags: ['operations'], summary: 'What the dashboard needs to know', description: 'Public. Which payment provider is active (`stripe`, `simulated` outside production, `none`), the Stripe publishable key when there is one, and the upload limit in MB.',
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
