import { configResponse, liveResponse, notReadyResponse, readyResponse } from '../../../contracts/operations.js';
import { paymentsMode } from '../../../core/payments/payments-mode.js';
import type { App, AppContext } from '../../context.js';
import { HttpError } from '../../http-errors.js';
import { metricsOnMainPort, metricsTokenMatches, renderMetrics } from '../../metrics.js';

export async function healthRoutes(app: App, ctx: AppContext) {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness',
        description:
          'Answers 200 while the process runs, without touching the database: for a process supervisor deciding whether to restart it.',
        response: { 200: liveResponse },
      },
    },
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
          200: readyResponse,
          503: notReadyResponse,
        },
      },
    },
    async (_req, reply) => {
      const database = ctx.core.database.dialect;
      const backups = ctx.services.backups?.status() ?? { enabled: false as const };
      if (ctx.lifecycle.stopping)
        return reply
          .status(503)
          .header('retry-after', '1')
          .send({ status: 'stopping' as const, database, backups });
      const ok = await ctx.core.database.ping();
      if (!ok)
        return reply
          .status(503)
          .header('retry-after', '1')
          .send({ status: 'unavailable' as const, database, backups });
      return { status: 'ok' as const, database, backups };
    },
  );

  // /metrics on the main port: open outside production, behind METRICS_TOKEN when it is
  // set, and absent when METRICS_PORT moves it to a port of its own (or in production
  // without either: business volume is nobody's business).
  if (metricsOnMainPort(ctx.config)) {
    const token = ctx.config.metrics.token;
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          description:
            'Request durations by route and status, ledger writer batch sizes and times, queue depth, credits charged per operation, the scheduled backups (last success and failure times, duration, size, counts by outcome) and the process’s own metrics, in the Prometheus text format. ' +
            'Open outside production; with METRICS_TOKEN set (required in production unless METRICS_PORT is) it needs `Authorization: Bearer <METRICS_TOKEN>`; with METRICS_PORT set it is served only on that port.',
          ...(token ? { security: [{ bearer: [] }] } : {}),
        },
      },
      async (req, reply) => {
        if (token && !metricsTokenMatches(req.headers.authorization, token)) {
          throw new HttpError('unauthorized', 'The metrics need the METRICS_TOKEN as a Bearer token.');
        }
        reply.header('content-type', ctx.metrics.registry.contentType);
        return renderMetrics(ctx.metrics, ctx.core);
      },
    );
  }

  if (ctx.config.apiDocs) app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/config',
    {
      schema: {
        tags: ['operations'],
        summary: 'What the dashboard needs to know',
        description:
          'Public. Which payment provider is active (`stripe`, `simulated` outside production, `none`), the Stripe publishable key when there is one, and the upload limit in MB.',
        response: {
          200: configResponse,
        },
      },
    },
    async () => ({
      paymentsProvider: paymentsMode({
        stripe: Boolean(ctx.config.stripe),
        isProduction: ctx.config.isProduction,
        allowSimulated: ctx.config.allowSimulatedPayments,
      }),
      stripePublishableKey: ctx.config.stripe?.publishableKey ?? null,
      maxUploadMb: ctx.config.maxUploadMb,
      callsSimulated: !ctx.config.vapi.apiKey,
      emailEnabled: ctx.services.mailer !== undefined,
      emailVerificationRequired: ctx.config.requireEmailVerification,
    }),
  );
}
