/** Prometheus metrics of the service (one registry per app, so tests can run several). */
import { type Server, createServer } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config.js';
import type { Core } from '../core/index.js';
import { sameSecret } from './same-secret.js';

/** One label set's counts of a LabelledHistogram: observing is a scan of the bounds, nothing hashed. */
export interface HistogramChild {
  observe(value: number): void;
}

/**
 * A Prometheus histogram whose label sets are looked up by the caller once (`child`) and
 * kept: prom-client's Histogram hashes the label object on every observe(), its labelled
 * children included, which profiling put at about a tenth of the CPU of GET /health/live.
 * Rendered by the registry like any histogram (`_bucket` with `le`, `_sum`, `_count`).
 */
export class LabelledHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private sets: { key: string; labels: Record<string, string | number>; counts: number[]; sum: number; count: number }[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /**
   * The counts of one label set, created at its first use; keep it and observe through it.
   * Asked again for the same labels, it counts into the same set (one series, never two).
   */
  child(labels: Record<string, string | number>): HistogramChild {
    const key = JSON.stringify(
      Object.entries(labels)
        .map(([k, v]) => [k, String(v)])
        .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)),
    );
    let set = this.sets.find((s) => s.key === key);
    if (set === undefined) {
      set = { key, labels, counts: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.sets.push(set);
    }
    const found = set;
    const bounds = this.bounds;
    return {
      observe(value: number) {
        if (!Number.isFinite(value)) return;
        found.sum += value;
        found.count += 1;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= (bounds[i] as number)) {
            (found.counts[i] as number) += 1;
            return;
          }
        }
      },
    };
  }

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const set of this.sets) {
      if (set.count === 0) continue;
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += set.counts[i] as number;
        values.push({ labels: { ...set.labels, le }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...set.labels, le: '+Inf' }, value: set.count, metricName: `${this.name}_bucket` });
      values.push({ labels: set.labels, value: set.sum, metricName: `${this.name}_sum` });
      values.push({ labels: set.labels, value: set.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset() {
    for (const set of this.sets) {
      set.counts.fill(0);
      set.sum = 0;
      set.count = 0;
    }
  }
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new LabelledHistogram(
      'http_request_duration_seconds',
      'HTTP request latency by route',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registry,
    ),
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
