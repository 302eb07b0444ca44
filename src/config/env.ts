/**
 * The environment's variables as a zod schema: each one's type, default and bounds.
 * `loadConfig` (src/config.ts) parses with it and then checks what spans variables.
 */
import { z } from 'zod';
import { creditsToMc } from '../contracts/money.js';
import { passwordScoreOf } from '../core/accounts/password-policy.js';

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

export const envSchema = z.object({
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
  PG_PIPELINED_WRITES: boolDefaultTrue,
  PG_PREPARED_WRITES: boolDefaultTrue,
  PG_SYNCHRONOUS_COMMIT: z.enum(['on', 'off', 'local', 'remote_write', 'remote_apply']).optional(),
  WRITER_MAX_BATCH: int(500, 1),
  WRITER_MAX_QUEUE: int(50_000, 1),
  WRITER_PIPELINE: int(1, 1),
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
  // 0 to 4; unset: 3 in production, 0 outside it (loadConfig).
  PASSWORD_MIN_SCORE: parsed(-1, passwordScoreOf, 'must be a whole number from 0 to 4'),
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

export type Env = z.output<typeof envSchema>;
