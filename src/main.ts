/**
 * The composition root: loadConfig -> openDatabase -> migrate, seed -> createCore ->
 * createApp -> listen, plus the background jobs, and a clean shutdown on SIGTERM/SIGINT
 * (stop taking requests, drain the writer, close the database). The database's preparation,
 * the operator's notices and the signal handling are in src/start/.
 */
import './start/tick-shape.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, callsConfig } from './config.js';
import { createSetupToken } from './core/accounts/create-setup-token.js';
import { sweepAttempts } from './core/accounts/count-attempt.js';
import { ThresholdAlerts } from './core/alerts/alerts.js';
import { sweepCalls } from './core/calls/sweep-calls.js';
import { pruneDeliveredEvents } from './core/events/prune-events.js';
import { AlertDelivery } from './core/alerts/deliver-alerts.js';
import { ScheduledBackups } from './core/backups/scheduled-backups.js';
import { AutoRecharge } from './core/payments/auto-recharge.js';
import { httpWebhookSender } from './integrations/webhooks/http-sender.js';
import { WebhookDeliveryWorker } from './core/events/deliver-webhooks.js';
import { syncAlertEndpoint } from './core/events/sync-alert-endpoint.js';
import { HttpVapiClient, SimulatedVapiClient } from './integrations/vapi/client.js';
import type { CallProvider } from './core/calls/provider.js';
import { type Core, createCore } from './core/index.js';
import { LedgerKey } from './core/ledger/hash.js';
import type { ErrorLog } from './core/log.js';
import type { Database } from './db/open.js';
import { seed } from './db/seed.js';
import { type App, type AppDeps, createApp, type Lifecycle } from './server/app.js';
import { BalanceEvents } from './server/events.js';
import { createMetrics, startMetricsServer } from './server/metrics.js';
import type { Services } from './server/services.js';
import { ensureSuperAdmin, openConfiguredDatabase, prepareDatabase } from './start/database.js';
import { startupNotices } from './start/notices.js';

// The parts of a start, in src/start/, are exported from here too.
export { ensureSuperAdmin, openConfiguredDatabase, prepareDatabase } from './start/database.js';
export { setupInstructions, startupNotices } from './start/notices.js';
export { exitOnSignals } from './start/signals.js';

/** How long a stop keeps idle kept-alive connections open, answering what comes on them with 503. */
const KEEP_ALIVE_GRACE_MS = 1000;

export interface Running {
  app: App;
  core: Core;
  database: Database;
  services: Services;
  config: Config;
  url: string;
  /** The one-time token of the setup link, made at start while no super admin exists; else null. */
  setupToken: string | null;
  /** Where /metrics is served (its own port), when METRICS_PORT is set. */
  metricsUrl: string | undefined;
  /** Lines for the operator, printed by `credits serve` at start-up. */
  notices: string[];
  /** `stopping` turns true when stop() begins. */
  lifecycle: Lifecycle;
  /**
   * Stops within SHUTDOWN_TIMEOUT_SECONDS: stops listening, lets requests in flight finish
   * (refusing new ones on kept-alive connections), lets background jobs finish their pass,
   * drains the writer, closes the database.
   */
  stop(): Promise<void>;
}

export async function startServer(
  config: Config,
  opts: {
    logger?: boolean | object;
    pgSchema?: string;
    listen?: boolean;
    extraRoutes?: (app: App) => void | Promise<void>;
    onRoute?: AppDeps['onRoute'];
  } = {},
): Promise<Running> {
  const database = await openConfiguredDatabase(config, opts.pgSchema);
  const prepared = await prepareDatabase(database, config).catch(async (e) => {
    await database.close();
    throw e;
  });
  await seed(database.db);
  // The alert webhook is one endpoint of the events system.
  await syncAlertEndpoint(database.db, { url: config.alerts.webhookUrl, secret: config.alerts.webhookSecret }, Date.now());
  // The core and the watchers start before the app and its logger exist: they log through it once it does.
  let appLog: App['log'] | undefined;
  const log: ErrorLog = { error: (obj, msg) => (appLog ? appLog.error(obj, msg) : console.error(msg, obj)) };
  const core = createCore(database, {
    ledgerKey: new LedgerKey(config.ledgerKey),
    maxBatch: config.writer.maxBatch,
    maxQueue: config.writer.maxQueue,
    pipeline: config.writer.pipeline,
    log,
  });
  try {
    await ensureSuperAdmin(core, config);
  } catch (e) {
    await core.writer.close();
    await database.close();
    throw e;
  }
  // The setup link signs in with a password: none with built-in sign-in off (AUTH_BUILTIN=false).
  const setupToken = config.builtinAuth ? await createSetupToken(core) : null;

  const lifecycle: Lifecycle = { stopping: false };
  const metrics = createMetrics();
  const events = new BalanceEvents(database, log);
  await events.start(config.databaseUrl, opts.pgSchema ? `-c search_path=${opts.pgSchema}` : undefined);
  core.writer.onCommit((changes) => events.publish(changes));
  // PostgreSQL: the other instances hear each commit's changes by the NOTIFY the writer sends after it.
  core.writer.announceWith(events.announcer);
  core.writer.onBatch((size, ms) => {
    metrics.writerBatchSize.observe(size);
    metrics.writerBatchSeconds.observe(ms / 1000);
  });

  const thresholds = new ThresholdAlerts(database.db, { log });
  core.writer.onCommit((changes) => void thresholds.onCommit(changes));
  const vapi: CallProvider = config.vapi.apiKey
    ? new HttpVapiClient({
        apiKey: config.vapi.apiKey,
        apiBase: config.vapi.apiBase,
        phoneNumberId: config.vapi.phoneNumberId,
        assistantId: config.vapi.assistantId,
        timeoutMs: config.vapi.timeoutMs,
      })
    : new SimulatedVapiClient();
  // The Stripe SDK and nodemailer are loaded only when configured (some 300 ms of a start
  // without them: bench/analysis.md, "Start to ready").
  const payments = config.stripe
    ? new (await import('./integrations/stripe/stripe-provider.js')).StripeProvider(
        config.stripe.secretKey,
        config.stripe.webhookSecret,
        config.stripe.apiBase,
      )
    : undefined;
  const autoRecharge = new AutoRecharge(core, payments, { log, allowSimulated: !config.isProduction || config.allowSimulatedPayments });
  core.writer.onCommit((changes) => void autoRecharge.onCommit(changes));
  const mailer = config.alerts.smtpUrl
    ? (await import('./integrations/mail/smtp-mailer.js')).smtpMailer(config.alerts.smtpUrl, config.alerts.emailFrom)
    : undefined;
  const services: Services = { thresholds, vapi, autoRecharge, ...(payments ? { payments } : {}), ...(mailer ? { mailer } : {}) };
  const app = await createApp({
    config,
    core,
    metrics,
    events,
    services,
    lifecycle,
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
    ...(opts.onRoute ? { onRoute: opts.onRoute } : {}),
  });
  appLog = app.log;
  if (prepared.rehashed > 0) app.log.info({ rows: prepared.rehashed, chains: prepared.chains }, 'ledger re-hashed with the ledger key');
  if (prepared.unverified.length > 0) {
    app.log.error(
      { rows: prepared.unverified },
      'ledger rows that did not verify under the old hash were left as they were: run credits verify',
    );
  }

  const timers: NodeJS.Timeout[] = [];
  // Background jobs in progress: a stop waits for them, so none is cut off half-way.
  const jobs = new Set<Promise<unknown>>();
  const every = (seconds: number, job: () => Promise<unknown>) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy || lifecycle.stopping) return;
      busy = true;
      const p = job()
        .catch((err) => app.log.error({ err }, 'background job failed'))
        .finally(() => {
          busy = false;
          jobs.delete(p);
        });
      jobs.add(p);
    }, seconds * 1000);
    t.unref();
    timers.push(t);
  };
  every(config.holdSweepSeconds, () => core.ledger.releaseExpiredHolds());
  every(config.holdSweepSeconds, () => core.ledger.expireGrants());
  // The alert webhook (ALERTS_WEBHOOK_URL) is delivered as an events endpoint; email stays here.
  const channels = config.alerts.smtpUrl
    ? [(await import('./integrations/alerts/channels.js')).emailChannel(config.alerts.smtpUrl, config.alerts.emailFrom)]
    : [];
  const delivery = new AlertDelivery(database.db, channels, { retryBaseMs: config.alertRetryBaseMs });
  if (delivery.enabled) every(config.alertPollMs / 1000, () => delivery.runOnce());
  const w = config.webhooks;
  const webhooks = new WebhookDeliveryWorker(
    database,
    httpWebhookSender({ production: config.isProduction, allowPrivate: w.allowPrivate }),
    {
      log,
      concurrency: w.concurrency,
      perEndpoint: w.perEndpoint,
      timeoutMs: w.timeoutMs,
      scheduleScale: w.scheduleScale,
      ...(w.leaseMs !== undefined ? { leaseMs: w.leaseMs } : {}),
    },
  );
  services.webhooks = webhooks;
  // A pass claims what is due and starts it; attempts run on while the next passes claim more.
  every(w.pollMs / 1000, () => webhooks.poll());
  every(config.holdSweepSeconds, async () => {
    const swept = await sweepCalls(core, vapi, callsConfig(config));
    for (const u of swept.untold) {
      app.log.warn(
        { callId: u.callId, vapiId: u.vapiId, userId: u.userId, reason: u.reason },
        'call charged its whole hold: VAPI could not tell how long it lasted',
      );
    }
  });
  if (config.backups && database.dialect === 'sqlite') {
    const b = config.backups;
    services.backups = new ScheduledBackups(database.db, {
      sqlitePath: config.sqlitePath,
      dir: b.dir,
      intervalMs: b.intervalMs,
      keep: b.keep,
      log: app.log,
      onResult: (r) => {
        metrics.backups.inc({ outcome: r.ok ? 'success' : 'failure' });
        if (r.ok) {
          metrics.backupLastSuccess.set(r.at / 1000);
          metrics.backupLastDuration.set(r.durationMs / 1000);
          if (r.sizeBytes !== null) metrics.backupLastSize.set(r.sizeBytes);
        } else {
          metrics.backupLastFailure.set(r.at / 1000);
        }
      },
    });
    const backups = services.backups;
    // The outcome is logged, kept for /health/ready and /metrics, and alerted by runOnce.
    every(b.intervalMs / 1000, () => backups.runOnce().catch(() => undefined));
  } else if (config.backups) {
    app.log.warn(
      'BACKUP_DIR is for the embedded SQLite database and is ignored on PostgreSQL: back PostgreSQL up with its own tools (docs/operations.md)',
    );
  }
  every(600, () => sweepAttempts(database.db, Date.now()));
  // Events retention: finished events older than WEBHOOKS_RETENTION_DAYS, with their deliveries and attempts, in batches.
  every(3600, () => pruneDeliveredEvents(core, Date.now(), { retentionDays: w.retentionDays }));
  // Auto-recharges whose charge Stripe did not confirm: re-read from Stripe once their call is surely over.
  if (payments) every(60, () => autoRecharge.reconcile());

  let url = '';
  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined;
  if (opts.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host });
    if (config.metrics.port > 0) {
      metricsServer = await startMetricsServer(config, metrics, core);
      const a = metricsServer.address() as AddressInfo;
      metricsUrl = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics`;
    }
  } else {
    await app.ready();
  }
  const notices = startupNotices(config, url, metricsUrl);

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      // What is still running when this much time is left is cut, so that draining the
      // writer and closing the database fit in the timeout.
      const reserve = Math.min(5000, config.shutdownTimeoutMs * 0.2);
      lifecycle.stopping = true;
      for (const t of timers) clearInterval(t);
      // Stop listening (new connections are refused: a proxy sends them to another
      // instance) and let requests in flight finish. Kept-alive connections stay open for a
      // moment: Node would close the idle ones at once, and a request a proxy or client
      // sends on one at that instant would find it cut, with no answer; instead such a
      // request is answered 503 + Retry-After + Connection: close (app.ts). Then idle
      // connections are closed as they go idle, and whatever is still open when the time
      // is up is cut.
      metricsServer?.close();
      const server = app.server;
      const closeIdle = server.closeIdleConnections.bind(server);
      server.closeIdleConnections = () => {};
      let idle: NodeJS.Timeout | undefined;
      const grace = setTimeout(
        () => {
          closeIdle();
          idle = setInterval(closeIdle, 50);
        },
        Math.min(KEEP_ALIVE_GRACE_MS, Math.max(0, deadline - reserve - Date.now())),
      );
      const hard = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - reserve - Date.now()));
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
        clearInterval(idle);
        clearTimeout(hard);
        server.closeIdleConnections = closeIdle;
      }
      // Background jobs finish the pass they are in (a sweep, a delivery, a backup); webhook
      // attempts in flight finish (one cut short is sent again when its lease runs out).
      webhooks.stop();
      await Promise.race([
        Promise.allSettled([...jobs, webhooks.idle()]),
        sleep(Math.max(0, deadline - reserve / 2 - Date.now()), undefined, { ref: false }),
      ]);
      // Drain the writer (its current batch and what is queued), let the after-commit
      // watchers finish (they may write), then close it.
      await core.writer.drain();
      await thresholds.idle();
      await autoRecharge.idle();
      await core.writer.close();
      await events.close();
      await database.close();
    })();
    return stopping;
  };
  return { app, core, database, services, config, url, setupToken, metricsUrl, notices, lifecycle, stop };
}
