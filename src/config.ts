/**
 * Environment -> typed Config. Every variable has a working default outside production,
 * so `npm start` needs none; production refuses to start without what it must have.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { CallsConfig } from './core/calls/reconcile-call.js';
import { creditsToMc } from './contracts/money.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const boolDefaultTrue = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === undefined || v === '' || v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
/** An optional number read by `parse` (null: refused with `message`); `fallback` when unset or blank. */
const parsed = (fallback: number, parse: (v: string) => number | null, message: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = parse(v.trim());
      if (n === null) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return n;
    });
const int = (def: number, min = 0) =>
  parsed(def, (t) => (Number.isInteger(Number(t)) && Number(t) >= min ? Number(t) : null), `must be a whole number >= ${min}`);
const nonNegative = (n: number | null) => (n === null || n < 0 ? null : n);

const envSchema = z.object({
  NODE_ENV: z.string().optional().default('development'),
  PORT: int(3000),
  HOST: z.string().optional().default('127.0.0.1'),
  DATABASE_URL: optionalString,
  DATA_DIR: z.string().optional().default('./data'),
  JWT_SECRET: optionalString,
  LEDGER_KEY: optionalString,
  JWT_TTL_SECONDS: int(7 * 24 * 3600, 60),
  SUPER_ADMIN_EMAIL: optionalString,
  SUPER_ADMIN_PASSWORD: optionalString,
  // Parsed as decimal text, never through a float.
  SIGNUP_BONUS_CREDITS: parsed(0, (t) => nonNegative(creditsToMc(t)), 'must be a non-negative number of credits with at most 3 decimals'),
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_PUBLISHABLE_KEY: optionalString,
  STRIPE_API_BASE: optionalString,
  ALLOW_SIMULATED_PAYMENTS: bool,
  VAPI_API_KEY: optionalString,
  VAPI_API_BASE: z.string().optional().default('https://api.vapi.ai'),
  VAPI_WEBHOOK_SECRET: optionalString,
  VAPI_ASSISTANT_ID: optionalString,
  VAPI_PHONE_NUMBER_ID: optionalString,
  VAPI_TIMEOUT_MS: int(10_000, 100),
  SERVICE_API_KEY: optionalString,
  MAX_UPLOAD_MB: int(25, 1),
  AUTH_RATE_LIMIT: int(300, 1),
  RATE_LIMIT_PER_MINUTE: int(0),
  ALERTS_WEBHOOK_URL: optionalString,
  ALERTS_WEBHOOK_SECRET: optionalString,
  SMTP_URL: optionalString,
  ALERTS_EMAIL_FROM: z.string().optional().default('Credits <credits@localhost>'),
  CORS_ORIGIN: optionalString,
  LOG_LEVEL: z.string().optional().default('info'),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL', 'OFF']).optional().default('FULL'),
  PG_POOL_SIZE: int(10, 1),
  PG_SYNCHRONOUS_COMMIT: z.enum(['on', 'off', 'local', 'remote_write', 'remote_apply']).optional(),
  WRITER_MAX_BATCH: int(500, 1),
  WRITER_MAX_QUEUE: int(50_000, 1),
  MAX_INFLIGHT_REQUESTS: int(512, 0),
  MAX_EVENT_LOOP_DELAY_MS: int(1000, 0),
  MAX_HEAP_USED_MB: int(1024, 0),
  HOLD_SWEEP_SECONDS: int(30, 1),
  CALL_GRACE_SECONDS: int(300, 0),
  ALERTS_POLL_MS: int(2000, 10),
  ALERTS_RETRY_BASE_MS: int(5000, 1),
  BACKUP_DIR: optionalString,
  // A fraction is allowed (0.5 is every 30 s), down to one second.
  BACKUP_INTERVAL_MINUTES: parsed(
    60,
    (t) => (Number(t) >= 1 / 60 && Number.isFinite(Number(t)) ? Number(t) : null),
    'must be a number of minutes, at least 0.0167 (one second)',
  ),
  BACKUP_KEEP: int(24, 1),
  SHUTDOWN_TIMEOUT_SECONDS: int(25, 1),
  TRUST_PROXY: optionalString,
  REQUIRE_EMAIL_VERIFICATION: bool,
  PUBLIC_URL: optionalString,
  MAX_STREAMS_PER_USER: int(10, 1),
  METRICS_TOKEN: optionalString,
  METRICS_PORT: int(0, 0),
  API_DOCS: boolDefaultTrue,
  WEBHOOKS_ALLOW_PRIVATE: bool,
  WEBHOOKS_POLL_MS: int(1000, 10),
  WEBHOOKS_TIMEOUT_MS: int(15_000, 100),
  WEBHOOKS_CONCURRENCY: int(16, 1),
  WEBHOOKS_PER_ENDPOINT: int(4, 1),
  WEBHOOKS_RETENTION_DAYS: int(30, 0),
  WEBHOOKS_LEASE_MS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1000) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number of milliseconds >= 1000' });
        return z.NEVER;
      }
      return n;
    }),
  WEBHOOKS_SCHEDULE_SCALE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 1;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: 'must be a number in (0, 1]' });
        return z.NEVER;
      }
      return n;
    }),
  AUTH_JWKS_URL: optionalString,
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  AUTH_EMAIL_CLAIM: z.string().optional().default('email'),
  AUTH_NAME_CLAIM: z.string().optional().default('name'),
  AUTH_ROLE_CLAIM: optionalString,
  AUTH_BUILTIN: boolDefaultTrue,
  AUTH_JWKS_COOLDOWN_SECONDS: int(30, 0),
});

/** Names proxy-addr (Fastify's trustProxy) knows for ranges of addresses. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: off (unset, `false`, `0`), a hop count (`1`: one reverse proxy in front), or
 * comma-separated addresses and CIDRs of the proxies (`10.0.0.0/8, 127.0.0.1`). `true`
 * is refused: it would believe an X-Forwarded-For that any client can write.
 */
export function parseTrustProxy(v: string | undefined): { value: false | number | string[]; problem?: string } {
  if (v === undefined || v === 'false' || v === '0') return { value: false };
  if (/^\d+$/.test(v)) return { value: Number(v) };
  if (v === 'true') {
    return {
      value: false,
      problem: 'TRUST_PROXY=true would believe any client; give the number of proxies in front (1) or their addresses',
    };
  }
  const items = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = items.filter((x) => {
    if (PROXY_RANGE_NAMES.has(x)) return false;
    const [ip, prefix, extra] = x.split('/');
    const family = isIP(ip ?? '');
    if (!family || extra !== undefined) return true;
    if (prefix === undefined) return false;
    return !/^\d+$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128);
  });
  if (bad.length > 0 || items.length === 0) {
    return {
      value: false,
      problem: `TRUST_PROXY must be a hop count or comma-separated IP addresses and CIDRs (not: ${bad.join(', ') || v})`,
    };
  }
  return { value: items };
}

export interface Config {
  env: string;
  isProduction: boolean;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  sqlitePath: string;
  sqliteSynchronous: 'FULL' | 'NORMAL' | 'OFF';
  pgPoolSize: number;
  /** Postgres `synchronous_commit` for our sessions; unset keeps the server's (on by default). */
  pgSynchronousCommit: 'on' | 'off' | 'local' | 'remote_write' | 'remote_apply' | undefined;
  jwtSecret: string;
  jwtTtlSeconds: number;
  /** The key ledger rows are hashed under (HMAC-SHA256): kept apart from the database. */
  ledgerKey: string;
  superAdmin: { email: string; password: string } | undefined;
  signupBonusMc: number;
  stripe: { secretKey: string; webhookSecret: string; publishableKey: string | undefined; apiBase: string | undefined } | undefined;
  allowSimulatedPayments: boolean;
  vapi: {
    apiKey: string | undefined;
    apiBase: string;
    /**
     * VAPI_WEBHOOK_SECRET, or one generated and kept in DATA_DIR outside production; unset
     * only in production without a VAPI key, where the webhook then refuses every report.
     */
    webhookSecret: string | undefined;
    /** The file the secret was generated in (undefined when it came from the environment). */
    webhookSecretFile: string | undefined;
    assistantId: string | undefined;
    phoneNumberId: string | undefined;
    /** How long one request to VAPI may take before it is given up. */
    timeoutMs: number;
  };
  serviceApiKey: string | undefined;
  maxUploadMb: number;
  authRateLimit: number;
  rateLimitPerMinute: number;
  alerts: {
    webhookUrl: string | undefined;
    webhookSecret: string | undefined;
    smtpUrl: string | undefined;
    emailFrom: string;
  };
  corsOrigin: string | undefined;
  logLevel: string;
  writer: { maxBatch: number; maxQueue: number };
  /** Load shedding (0 turns a limit off): requests in progress, event-loop delay, heap. */
  shedding: { maxInflight: number; maxEventLoopDelayMs: number; maxHeapUsedBytes: number };
  holdSweepSeconds: number;
  callGraceSeconds: number;
  alertPollMs: number;
  alertRetryBaseMs: number;
  /** Scheduled backups of the embedded database (BACKUP_DIR set), off otherwise. */
  backups: { dir: string; intervalMs: number; keep: number } | undefined;
  /** How long a stop may take: requests in flight are cut before, the process exits by then. */
  shutdownTimeoutMs: number;
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses and CIDRs. */
  trustProxy: false | number | string[];
  /** Sign-up bonus and sign-in only after the email is verified. */
  requireEmailVerification: boolean;
  /** The dashboard's address for links in mails; unset: the address the server listens on. */
  publicUrl: string | undefined;
  maxStreamsPerUser: number;
  /** `/metrics`: Bearer token, and a port of its own (0: the main port). */
  metrics: { token: string | undefined; port: number };
  /** Serve /docs and /openapi.json. */
  apiDocs: boolean;
  /** Events out: delivery of webhooks to the endpoints admins register. */
  webhooks: {
    /** In production, allow endpoints on private and loopback addresses. */
    allowPrivate: boolean;
    pollMs: number;
    timeoutMs: number;
    concurrency: number;
    perEndpoint: number;
    /** How long a claimed attempt is leased (undefined: the timeout + 15 s). */
    leaseMs: number | undefined;
    /** Multiplies the retry schedule: 1 outside tests (refused below 1 in production). */
    scheduleScale: number;
    /** Days finished events are kept, with their deliveries and attempts (0: forever). */
    retentionDays: number;
  };
  /** Tokens of the platform's identity provider (AUTH_JWKS_URL or AUTH_ISSUER set), or undefined. */
  platformAuth: PlatformAuthConfig | undefined;
  /** Built-in sign-up and sign-in with a password (AUTH_BUILTIN, on by default). */
  builtinAuth: boolean;
}

export interface PlatformAuthConfig {
  /** Where the keys are; undefined: named by the issuer's OpenID configuration. */
  jwksUrl: string | undefined;
  /** The required `iss`; undefined (AUTH_JWKS_URL alone): not checked. */
  issuer: string | undefined;
  audience: string;
  emailClaim: string;
  nameClaim: string;
  roleClaim: string | undefined;
  /** After fetching the keys, an unknown `kid` refetches them only once this has passed (AUTH_JWKS_COOLDOWN_SECONDS, at most 60). */
  cooldownMs: number;
}

export class ConfigError extends Error {}

export interface LoadOptions {
  /**
   * Keep generated secrets in DATA_DIR (the default). False for commands that issue no
   * tokens: a secret that is not there yet is made for this process only, and nothing
   * is written.
   */
  persistSecrets?: boolean;
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
    writer: { maxBatch: e.WRITER_MAX_BATCH, maxQueue: e.WRITER_MAX_QUEUE },
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

/** A secret made once and kept in DATA_DIR (mode 600), so tokens survive restarts. */
function generatedSecret(dataDir: string, name: string, persist = true): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  if (!persist) return secret;
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (e) {
    // Another process made it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw e;
  }
}
