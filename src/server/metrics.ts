/** Prometheus metrics of the service (one registry per app, so tests can run several). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
