/** Prometheus metrics of the service (one registry per app, so tests can run several). */
import { type Server, createServer } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config.js';
import type { Core } from '../core/index.js';
import { sameSecret } from './same-secret.js';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    creditsCharged: new Counter({
      name: 'credits_charged_total',
      help: 'Credits charged by metered operations',
      labelNames: ['operation'],
      registers: [registry],
    }),
    insufficient: new Counter({
      name: 'credits_insufficient_total',
      help: 'Operations refused with 402 insufficient_credits',
      labelNames: ['operation'],
      registers: [registry],
    }),
    writerBatchSize: new Histogram({
      name: 'ledger_writer_batch_size',
      help: 'Operations committed per writer batch',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    writerBatchSeconds: new Histogram({
      name: 'ledger_writer_batch_seconds',
      help: 'Time to commit one writer batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    shed: new Counter({
      name: 'http_requests_shed_total',
      help: 'Requests refused with 503 overloaded before any work, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    inflight: new Gauge({
      name: 'http_requests_in_progress',
      help: 'Requests being served (not counting open balance streams)',
      registers: [registry],
    }),
    backupLastSuccess: new Gauge({
      name: 'credits_backup_last_success_timestamp_seconds',
      help: 'When the last scheduled backup completed (Unix seconds; absent before the first)',
      registers: [registry],
    }),
    backupLastFailure: new Gauge({
      name: 'credits_backup_last_failure_timestamp_seconds',
      help: 'When the last scheduled backup failed (Unix seconds; absent if none has)',
      registers: [registry],
    }),
    backupLastDuration: new Gauge({
      name: 'credits_backup_last_duration_seconds',
      help: 'How long the last completed backup took',
      registers: [registry],
    }),
    backupLastSize: new Gauge({
      name: 'credits_backup_last_size_bytes',
      help: 'Size of the last completed backup',
      registers: [registry],
    }),
    backups: new Counter({
      name: 'credits_backups_total',
      help: 'Scheduled backups by outcome (success, failure)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    writerQueueDepth: new Gauge({
      name: 'ledger_writer_queue_depth',
      help: 'Operations waiting for the writer',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The metrics as Prometheus text. */
export function renderMetrics(metrics: Metrics, core: Core): Promise<string> {
  metrics.writerQueueDepth.set(core.writer.queueDepth);
  return metrics.registry.metrics();
}

/** True when `authorization` is `Bearer <token>`, compared in constant time. */
export function metricsTokenMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m !== null && sameSecret(m[1], token);
}

/**
 * Where /metrics is served: on its own port (METRICS_PORT), else on the main port when a
 * token guards it or outside production; in production with neither, nowhere.
 */
export function metricsOnMainPort(config: Config): boolean {
  if (config.metrics.port > 0) return false;
  return config.metrics.token !== undefined || !config.isProduction;
}

/** A listener of its own for /metrics (METRICS_PORT), on the main host; the token applies here too when set. */
export async function startMetricsServer(config: Config, metrics: Metrics, core: Core): Promise<Server> {
  const token = config.metrics.token;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (token && !metricsTokenMatches(req.headers.authorization, token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized\n');
      return;
    }
    renderMetrics(metrics, core).then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.metrics.port, config.host, () => resolve());
  });
  return server;
}
