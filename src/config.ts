/**
 * Environment -> typed Config. Every variable has a working default outside production,
 * so `npm start` needs none; production refuses to start without what it must have.
 *
 * The parts: config/env.ts (each variable's type, default and bounds), config/types.ts
 * (the Config shape), config/trust-proxy.ts, config/secrets.ts (secrets generated in
 * DATA_DIR outside production); this file checks what spans variables and builds Config.
 */
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { CallsConfig } from './core/calls/reconcile-call.js';
import { PRODUCTION_PASSWORD_SCORE } from './core/accounts/password-policy.js';
import { envSchema } from './config/env.js';
import { generatedSecret } from './config/secrets.js';
import { parseTrustProxy } from './config/trust-proxy.js';
import type { Config } from './config/types.js';

export { parseTrustProxy } from './config/trust-proxy.js';
export type { Config, PlatformAuthConfig } from './config/types.js';

export class ConfigError extends Error {}

export interface LoadOptions {
  /**
   * Keep generated secrets in DATA_DIR (the default). False for commands that issue no
   * tokens: a secret that is not there yet is made for this process only, and nothing
   * is written.
   */
  persistSecrets?: boolean;
}

/** pino's levels (LOG_LEVEL). */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * What the listener can bind: an IP address, or a host name by the syntax of RFC 1123
 * (letters, digits and hyphens in dot-separated labels), with the underscores Docker's and
 * other private DNS names carry and a fully qualified name's trailing dot. Dotted digits that
 * are no IPv4 address (999.1.1.1) are no name either. Whether a name resolves is left to the
 * listener.
 */
function hostSyntax(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (/^[\d.]+$/.test(name) || name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[a-z\d_]([a-z\d_-]{0,61}[a-z\d_])?$/i.test(label));
}

/** Reads and checks the environment. Throws ConfigError with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR);
  const problems: string[] = [];

  let jwtSecret = e.JWT_SECRET;
  if (!jwtSecret) {
    if (isProduction) problems.push('JWT_SECRET is required in production');
    else jwtSecret = generatedSecret(dataDir, 'jwt-secret', opts.persistSecrets ?? true);
  } else if (jwtSecret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  }

  let ledgerKey = e.LEDGER_KEY;
  if (!ledgerKey) {
    if (isProduction) problems.push('LEDGER_KEY is required in production (keep it apart from the database)');
    else ledgerKey = generatedSecret(dataDir, 'ledger-key', opts.persistSecrets ?? true);
  } else if (Buffer.byteLength(ledgerKey, 'utf8') < 32) {
    problems.push('LEDGER_KEY must be at least 32 bytes');
  }

  // Half-configured Stripe is refused in every mode: without the webhook secret no payment
  // would ever be credited, without the publishable key the dashboard has no card form.
  if (e.STRIPE_SECRET_KEY) {
    if (!e.STRIPE_WEBHOOK_SECRET)
      problems.push('STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set (without it no payment is ever credited)');
    if (!e.STRIPE_PUBLISHABLE_KEY)
      problems.push('STRIPE_PUBLISHABLE_KEY is required when STRIPE_SECRET_KEY is set (the dashboard’s card form needs it)');
  } else if (e.STRIPE_WEBHOOK_SECRET) {
    problems.push('STRIPE_SECRET_KEY is required when STRIPE_WEBHOOK_SECRET is set');
  }
  if (e.STRIPE_API_BASE && !/^https?:\/\//.test(e.STRIPE_API_BASE)) {
    problems.push('STRIPE_API_BASE must be an http(s) URL');
  }
  if (e.DATABASE_URL && !/^postgres(ql)?:\/\//.test(e.DATABASE_URL)) {
    problems.push('DATABASE_URL must be a postgres:// URL (unset it to use the embedded SQLite database)');
  }
  if ((e.SUPER_ADMIN_PASSWORD?.length ?? 8) < 8) problems.push('SUPER_ADMIN_PASSWORD must be at least 8 characters');

  // The VAPI webhook always needs its secret. Unset, it is generated in DATA_DIR outside
  // production, as the JWT secret is; in production it is required with a VAPI key (every
  // instance must hold the same one), and without one the webhook refuses every report.
  let vapiSecret = e.VAPI_WEBHOOK_SECRET;
  let vapiSecretFile: string | undefined;
  if (!vapiSecret) {
    if (isProduction) {
      if (e.VAPI_API_KEY) problems.push('VAPI_WEBHOOK_SECRET is required in production when VAPI_API_KEY is set');
    } else {
      vapiSecretFile = join(dataDir, 'vapi-webhook-secret');
      vapiSecret = generatedSecret(dataDir, 'vapi-webhook-secret', opts.persistSecrets ?? true);
    }
  }

  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if (trustProxy.problem) problems.push(trustProxy.problem);
  if (e.REQUIRE_EMAIL_VERIFICATION && !e.SMTP_URL) problems.push('REQUIRE_EMAIL_VERIFICATION needs SMTP_URL to send the links');
  if (e.PUBLIC_URL && !/^https?:\/\/[^/\s]+/.test(e.PUBLIC_URL)) problems.push('PUBLIC_URL must be an http(s) URL');
  if (isProduction && e.SMTP_URL && !e.PUBLIC_URL)
    problems.push('PUBLIC_URL is required in production when SMTP_URL is set (links in mails point to it)');
  if (e.METRICS_TOKEN && e.METRICS_TOKEN.length < 16) problems.push('METRICS_TOKEN must be at least 16 characters');
  if (e.METRICS_PORT > 65535) problems.push('METRICS_PORT must be a port number');
  // Refused here with the rest (exit 2, which systemd does not restart) rather than by the
  // listener, the logger or the mailer at start (exit 1, restarted every 2 s).
  if (e.PORT > 65535) problems.push('PORT must be a port number (0 to 65535)');
  if (!hostSyntax(e.HOST)) problems.push('HOST must be an IP address (0.0.0.0 or :: for every interface) or a host name such as localhost');
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) problems.push('METRICS_PORT must differ from PORT (0: metrics on the main port)');
  if (!LOG_LEVELS.includes(e.LOG_LEVEL)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  if (e.SMTP_URL && !/^smtps?:\/\/[^/\s]+/.test(e.SMTP_URL)) problems.push('SMTP_URL must be an smtp:// or smtps:// URL');
  if (e.ALERTS_WEBHOOK_URL && !/^https?:\/\/[^/\s]+/.test(e.ALERTS_WEBHOOK_URL)) problems.push('ALERTS_WEBHOOK_URL must be an http(s) URL');
  if (!/^https?:\/\/[^/\s]+/.test(e.VAPI_API_BASE)) problems.push('VAPI_API_BASE must be an http(s) URL');
  if (isProduction && e.WEBHOOKS_SCHEDULE_SCALE !== 1) problems.push('WEBHOOKS_SCHEDULE_SCALE is for tests: unset it in production');
  if (e.WEBHOOKS_LEASE_MS !== undefined && e.WEBHOOKS_LEASE_MS <= e.WEBHOOKS_TIMEOUT_MS)
    problems.push('WEBHOOKS_LEASE_MS must exceed WEBHOOKS_TIMEOUT_MS');
  const url = (v: string) => /^https?:\/\/[^/\s]+/.test(v);
  if (e.AUTH_JWKS_URL && !url(e.AUTH_JWKS_URL)) problems.push('AUTH_JWKS_URL must be an http(s) URL');
  if (e.AUTH_ISSUER && !e.AUTH_JWKS_URL && !url(e.AUTH_ISSUER))
    problems.push('AUTH_ISSUER must be an http(s) URL (its /.well-known/openid-configuration names the keys), or set AUTH_JWKS_URL too');
  if ((e.AUTH_JWKS_URL || e.AUTH_ISSUER) && !e.AUTH_AUDIENCE)
    problems.push('AUTH_AUDIENCE is required with AUTH_JWKS_URL or AUTH_ISSUER (the `aud` the platform gives its tokens for this service)');
  if (e.AUTH_AUDIENCE && !e.AUTH_JWKS_URL && !e.AUTH_ISSUER) problems.push('AUTH_AUDIENCE needs AUTH_JWKS_URL or AUTH_ISSUER');
  if (!e.AUTH_BUILTIN && !e.AUTH_JWKS_URL && !e.AUTH_ISSUER)
    problems.push("AUTH_BUILTIN=false needs the platform's identity provider (AUTH_JWKS_URL or AUTH_ISSUER): nobody could sign in");
  if (e.AUTH_JWKS_COOLDOWN_SECONDS > 60)
    problems.push('AUTH_JWKS_COOLDOWN_SECONDS must be at most 60 (a rotated key is picked up within 60 s)');
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  // Every place a password is set (the API, the start's super admin, the command line) passes it on.
  const passwordMinScore = e.PASSWORD_MIN_SCORE >= 0 ? e.PASSWORD_MIN_SCORE : isProduction ? PRODUCTION_PASSWORD_SCORE : 0;

  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    sqlitePath: join(dataDir, 'credits.db'),
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    pgPoolSize: e.PG_POOL_SIZE,
    pgSynchronousCommit: e.PG_SYNCHRONOUS_COMMIT,
    pgPipelinedWrites: e.PG_PIPELINED_WRITES,
    pgPreparedWrites: e.PG_PREPARED_WRITES,
    jwtSecret: jwtSecret as string,
    jwtTtlSeconds: e.JWT_TTL_SECONDS,
    ledgerKey: ledgerKey as string,
    superAdmin:
      e.SUPER_ADMIN_EMAIL && e.SUPER_ADMIN_PASSWORD ? { email: e.SUPER_ADMIN_EMAIL, password: e.SUPER_ADMIN_PASSWORD } : undefined,
    signupBonusMc: e.SIGNUP_BONUS_CREDITS,
    stripe:
      e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET
        ? {
            secretKey: e.STRIPE_SECRET_KEY,
            webhookSecret: e.STRIPE_WEBHOOK_SECRET,
            publishableKey: e.STRIPE_PUBLISHABLE_KEY,
            apiBase: e.STRIPE_API_BASE,
          }
        : undefined,
    allowSimulatedPayments: e.ALLOW_SIMULATED_PAYMENTS,
    vapi: {
      apiKey: e.VAPI_API_KEY,
      apiBase: e.VAPI_API_BASE,
      webhookSecret: vapiSecret,
      webhookSecretFile: vapiSecretFile,
      assistantId: e.VAPI_ASSISTANT_ID,
      phoneNumberId: e.VAPI_PHONE_NUMBER_ID,
      timeoutMs: e.VAPI_TIMEOUT_MS,
    },
    serviceApiKey: e.SERVICE_API_KEY,
    maxUploadMb: e.MAX_UPLOAD_MB,
    authRateLimit: e.AUTH_RATE_LIMIT,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    alerts: {
      webhookUrl: e.ALERTS_WEBHOOK_URL,
      webhookSecret: e.ALERTS_WEBHOOK_SECRET,
      smtpUrl: e.SMTP_URL,
      emailFrom: e.ALERTS_EMAIL_FROM,
    },
    corsOrigin: e.CORS_ORIGIN,
    logLevel: e.LOG_LEVEL,
    writer: { maxBatch: e.WRITER_MAX_BATCH, maxQueue: e.WRITER_MAX_QUEUE, pipeline: e.WRITER_PIPELINE },
    shedding: {
      maxInflight: e.MAX_INFLIGHT_REQUESTS,
      maxEventLoopDelayMs: e.MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: e.MAX_HEAP_USED_MB * 1024 * 1024,
    },
    holdSweepSeconds: e.HOLD_SWEEP_SECONDS,
    callGraceSeconds: e.CALL_GRACE_SECONDS,
    alertPollMs: e.ALERTS_POLL_MS,
    alertRetryBaseMs: e.ALERTS_RETRY_BASE_MS,
    backups: e.BACKUP_DIR
      ? { dir: resolve(e.BACKUP_DIR), intervalMs: Math.round(e.BACKUP_INTERVAL_MINUTES * 60_000), keep: e.BACKUP_KEEP }
      : undefined,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    trustProxy: trustProxy.value,
    requireEmailVerification: e.REQUIRE_EMAIL_VERIFICATION,
    passwordMinScore,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    maxStreamsPerUser: e.MAX_STREAMS_PER_USER,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT },
    apiDocs: e.API_DOCS,
    webhooks: {
      allowPrivate: e.WEBHOOKS_ALLOW_PRIVATE,
      pollMs: e.WEBHOOKS_POLL_MS,
      timeoutMs: e.WEBHOOKS_TIMEOUT_MS,
      concurrency: e.WEBHOOKS_CONCURRENCY,
      perEndpoint: e.WEBHOOKS_PER_ENDPOINT,
      leaseMs: e.WEBHOOKS_LEASE_MS,
      scheduleScale: e.WEBHOOKS_SCHEDULE_SCALE,
      retentionDays: e.WEBHOOKS_RETENTION_DAYS,
    },
    platformAuth:
      (e.AUTH_JWKS_URL || e.AUTH_ISSUER) && e.AUTH_AUDIENCE
        ? {
            jwksUrl: e.AUTH_JWKS_URL,
            issuer: e.AUTH_ISSUER,
            audience: e.AUTH_AUDIENCE,
            emailClaim: e.AUTH_EMAIL_CLAIM.trim() || 'email',
            nameClaim: e.AUTH_NAME_CLAIM.trim() || 'name',
            roleClaim: e.AUTH_ROLE_CLAIM,
            cooldownMs: e.AUTH_JWKS_COOLDOWN_SECONDS * 1000,
          }
        : undefined,
    builtinAuth: e.AUTH_BUILTIN,
  };
}

/** The call settings core needs, out of the configuration. */
export function callsConfig(config: Config): CallsConfig {
  return { graceSeconds: config.callGraceSeconds, providerTimeoutMs: config.vapi.timeoutMs };
}
