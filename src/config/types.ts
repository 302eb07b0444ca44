/** The typed configuration `loadConfig` returns (src/config.ts). */
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
  /** Postgres: the ledger writer's batches in pg's pipeline mode, two round trips each (db/pg-pipeline.ts). */
  pgPipelinedWrites: boolean;
  /** Postgres: the pipelined writer's statements prepared once per connection (db/pg-pipeline.ts). */
  pgPreparedWrites: boolean;
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
  /** RATE_LIMIT_PER_MINUTE: requests per minute per client address (0: off); the health probes, /metrics and the API docs are outside it. */
  rateLimitPerMinute: number;
  alerts: {
    webhookUrl: string | undefined;
    webhookSecret: string | undefined;
    smtpUrl: string | undefined;
    emailFrom: string;
  };
  corsOrigin: string | undefined;
  logLevel: string;
  /** The ledger writer: batch size, queue bound, batches in flight on PostgreSQL (WRITER_PIPELINE). */
  writer: { maxBatch: number; maxQueue: number; pipeline: number };
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
  /** The zxcvbn-ts score a new password needs (0: at least 8 characters, the contract's rule, alone). */
  passwordMinScore: number;
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
