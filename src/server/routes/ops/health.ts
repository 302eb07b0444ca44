import { notReadyResponse } from '../../../contracts/operations.js';
import { schemaIsCurrent } from '../../../db/migrate.js';
import { paymentsMode } from '../../../core/payments/payments-mode.js';
import type { App, AppContext } from '../../context.js';
import { HttpError } from '../../http-errors.js';
import { BEARER, routes } from '../../route-docs.js';
import { metricsOnMainPort, metricsTokenMatches, renderMetrics } from '../../metrics.js';

export async function healthRoutes(app: App, ctx: AppContext) {
  const route = routes(app, { tag: 'operations' });
  route('GET /health/live', async () => ({ status: 'ok' as const }));

  route('GET /health/ready', { also: { 503: notReadyResponse } }, async (_req, reply) => {
    const database = ctx.core.database.dialect;
    const backups = ctx.services.backups?.status() ?? { enabled: false as const };
    const notReady = (status: 'stopping' | 'unavailable' | 'unmigrated') =>
      reply.status(503).header('retry-after', '1').send({ status, database, backups });
    if (ctx.lifecycle.stopping) return notReady('stopping');
    // The schema read: the database answers (else it throws: unavailable) and holds this release's
    // tables (else every request would fail on it: unmigrated).
    const current = await schemaIsCurrent(ctx.core.database.db).catch(() => null);
    if (current === null) return notReady('unavailable');
    if (!current) return notReady('unmigrated');
    return { status: 'ok' as const, database, backups };
  });

  // /metrics on the main port: open outside production, behind METRICS_TOKEN when it is
  // set, and absent when METRICS_PORT moves it to a port of its own (or in production
  // without either: business volume is nobody's business).
  if (metricsOnMainPort(ctx.config)) {
    const token = ctx.config.metrics.token;
    route('GET /metrics', { security: token ? BEARER : undefined }, async (req, reply) => {
      if (token && !metricsTokenMatches(req.headers.authorization, token)) {
        throw new HttpError('unauthorized', 'The metrics need the METRICS_TOKEN as a Bearer token.');
      }
      reply.header('content-type', ctx.metrics.registry.contentType);
      return renderMetrics(ctx.metrics, ctx.core);
    });
  }

  if (ctx.config.apiDocs) app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  route('GET /api/config', async () => ({
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
  }));
}
