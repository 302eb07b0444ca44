/**
 * createApp(deps): the Fastify server. Validation through the contract's zod schemas
 * (which also make the OpenAPI document), one error handler that maps every failure to
 * the contract's error shape, security headers, metrics, and the route modules.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type FastifyInstance,
  type RawServerDefault,
  type RouteOptions,
} from 'fastify';
import {
  type ZodTypeProvider,
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import { apiDescription } from '../contracts/units.js';
import { describeIssues } from '../contracts/validation.js';
import { DomainError } from '../core/errors.js';
import { isUnavailableError } from '../db/errors.js';
import type { Core } from '../core/index.js';
import type { BalanceEvents } from './events.js';
import { Cursors } from './cursor.js';
import { HttpError, STATUS, domainErrorBody, errorBody } from './http-errors.js';
import type { Metrics } from './metrics.js';
import { decorateDocument } from './openapi.js';
import { Tokens, UserCache, makeAuthenticate } from './plugins/auth.js';
import { makeAuthenticateService } from './plugins/service-auth.js';
import { ApiKeyCheck } from '../core/api-keys/api-key-check.js';
import { loadShedding } from './plugins/load-shedding.js';
import { PlatformTokens } from './plugins/platform-tokens.js';
import { ensureExternalUser } from '../core/accounts/ensure-external-user.js';
import { drainOversizedBody } from './plugins/oversized-body.js';
import { securityHeaders } from './plugins/security-headers.js';
import { CreditGuard } from './plugins/credit-guard.js';
import { Idempotency } from './plugins/idempotency.js';
import { registerRoutes } from './routes/index.js';
import { webRoutes } from './routes/web.js';
import type { Services } from './services.js';

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface AppDeps {
  config: Config;
  core: Core;
  metrics: Metrics;
  events: BalanceEvents;
  services: Services;
  /** Pino options or false (tests). */
  logger?: boolean | object;
  /** Extra routes registered with the others (benchmarks add a bare baseline route). */
  extraRoutes?: (app: App) => void | Promise<void>;
  /** Sees every route as it is registered (test/api/endpoints.test.ts checks them against the contract's endpoint map). */
  onRoute?: (route: RouteOptions) => void;
  /** Set `stopping` when a stop begins (main.ts); a fresh one is made when absent. */
  lifecycle?: Lifecycle;
}

/** Whether the service is stopping: new requests are then refused with 503 and their connections closed. */
export interface Lifecycle {
  stopping: boolean;
}

/** What every route module receives. */
export interface AppContext extends AppDeps {
  lifecycle: Lifecycle;
  tokens: Tokens;
  users: UserCache;
  idempotency: Idempotency;
  guard: CreditGuard;
  cursors: Cursors;
  authenticate: ReturnType<typeof makeAuthenticate>;
  /** The platform's tokens, when AUTH_JWKS_URL or AUTH_ISSUER is set. */
  platformTokens?: PlatformTokens;
  /** Service API keys, checked by hash against the database (cached at most 1 s). */
  apiKeys: ApiKeyCheck;
  /** onRequest hook of the service API: an API key, else 401. */
  authenticateService: ReturnType<typeof makeAuthenticateService>;
}

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-service-key"]',
  'req.headers["x-vapi-secret"]',
  'req.headers["stripe-signature"]',
  'req.headers.cookie',
];

function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (v === null || typeof v !== 'object' || depth > 32) return false;
  if (Array.isArray(v)) return v.some((x) => hasNul(x, depth + 1));
  for (const [k, x] of Object.entries(v)) if (k.includes('\u0000') || hasNul(x, depth + 1)) return true;
  return false;
}

/** Fastify's own 4xx errors, in the words the rest of the API uses. */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty; send a JSON object or no Content-Type header.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
};

/**
 * One log line per request, when it completes, instead of Fastify's two (incoming and
 * completed): half the logging cost on the hot path, and no request headers in the log.
 */
class OneLineLogController extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const line = { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}

/**
 * TRUST_PROXY as Fastify's option. A hop count becomes a function trusting the first
 * `n` addresses from the socket back (Express's meaning): Fastify 5 deliberately ignores a
 * bare number, since it cannot tell whether the peer really is a proxy. With a hop count,
 * the app must be reachable only through those proxies; addresses or CIDRs do not need that.
 */
export function trustProxyOption(v: false | number | string[]): boolean | string[] | ((addr: string, hop: number) => boolean) {
  if (typeof v === 'number') return (_addr, hop) => hop < v;
  return v;
}

export async function createApp(deps: AppDeps): Promise<App> {
  const { config } = deps;
  const app = Fastify({
    logger:
      deps.logger === false
        ? false
        : typeof deps.logger === 'object'
          ? { ...deps.logger, redact: REDACT }
          : { level: config.logLevel, redact: REDACT },
    bodyLimit: 1024 * 1024,
    logController: new OneLineLogController(),
    // Behind reverse proxies (TRUST_PROXY), req.ip is the client the nearest trusted proxy saw.
    trustProxy: trustProxyOption(config.trustProxy),
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    // While stopping, requests that still arrive on kept-alive connections are answered by
    // the hook below (503 with Retry-After and Connection: close), not by Fastify's bare 503.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 500 },
    // Errors the router raises before any route runs (bad URL encoding, oversized params).
    frameworkErrors: (err, _req, reply) => {
      (reply as unknown as { status(n: number): { send(b: unknown): void } })
        .status(400)
        .send(errorBody('validation_error', err.message || 'The request URL is not valid.'));
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Responses are built from the contract's types in the handlers; serialising them
  // without re-validating keeps the hot path cheap. Response schemas serve the docs.
  app.setSerializerCompiler(() => (data) => (typeof data === 'string' ? data : JSON.stringify(data)));
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);

  const ctx: AppContext = {
    ...deps,
    lifecycle: deps.lifecycle ?? { stopping: false },
    tokens: new Tokens(config.jwtSecret, config.jwtTtlSeconds),
    users: new UserCache(deps.core.database.db),
    idempotency: new Idempotency(deps.core.database.db),
    guard: undefined as unknown as CreditGuard,
    cursors: new Cursors(config.jwtSecret),
    authenticate: undefined as unknown as ReturnType<typeof makeAuthenticate>,
    apiKeys: new ApiKeyCheck(deps.core.database.db, {
      bootstrapKey: config.serviceApiKey,
      onError: (e) => app.log.warn({ err: e }, 'could not record an API key\'s last use'),
    }),
    authenticateService: undefined as unknown as ReturnType<typeof makeAuthenticateService>,
  };
  ctx.guard = new CreditGuard(deps.core, ctx.idempotency, deps.metrics);
  if (config.platformAuth) {
    const db = deps.core.database.db;
    ctx.platformTokens = new PlatformTokens(config.platformAuth, (identity) =>
      ensureExternalUser(deps.core.writer, db, identity, { signupBonusMc: config.signupBonusMc }),
    );
  }
  ctx.authenticate = makeAuthenticate(ctx.tokens, ctx.users, ctx.platformTokens);
  deps.events.onUserChanged((id) => ctx.users.invalidate(id));
  ctx.authenticateService = makeAuthenticateService(ctx.apiKeys);

  app.decorateRequest('principal', null);
  app.decorateRequest('apiKey', null);

  const security = securityHeaders();
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(security);
    reply.header('x-request-id', req.id);
    // Answers of the API are personal (balances, tokens): no cache, shared or private, keeps one.
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    done();
  });
  // Stopping (SIGTERM): a request that arrives on a kept-alive connection is refused at
  // once, nothing done, with Retry-After and Connection: close, so the client retries it
  // (on another instance) and drops the connection; health and metrics still answer.
  // Requests already in flight finish, and their answers close their connections too.
  const lifecycle = ctx.lifecycle;
  app.addHook('onRequest', (req, reply, done) => {
    if (!lifecycle.stopping || req.url.startsWith('/health/') || req.url === '/metrics') return done();
    reply
      .code(503)
      .header('retry-after', '1')
      .header('connection', 'close')
      .send(errorBody('overloaded', 'The service is restarting; nothing was done. Retry shortly.', { reason: 'shutting_down' }));
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (lifecycle.stopping) reply.header('connection', 'close');
    done(null, payload);
  });
  await loadShedding(app, config.shedding, deps.metrics);
  // NUL characters are refused at the edge: PostgreSQL cannot store them in text, and no
  // field of the contract needs one.
  app.addHook('preValidation', async (req) => {
    if (req.url.includes('%00') || hasNul(req.params) || hasNul(req.query) || hasNul(req.body)) {
      throw new HttpError('validation_error', 'The request contains a NUL character.', {
        fields: [{ path: 'request', message: 'NUL characters are not allowed' }],
      });
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) {
      if (err.headers) reply.headers(err.headers);
      return reply.status(STATUS[err.code]).send(errorBody(err.code, err.message, err.details));
    }
    if (err instanceof DomainError) {
      // Refused for now (the writer's queue is full, or it is shutting down): nothing was done.
      if (err.code === 'overloaded') reply.header('retry-after', '1');
      if (err.code === 'rate_limited') reply.header('retry-after', String(err.details?.retryAfterSeconds ?? 60));
      return reply.status(STATUS[err.code]).send(domainErrorBody(err));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => ({
        code: v.keyword,
        path: String(v.instancePath ?? '')
          .split('/')
          .filter(Boolean)
          .map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
        message: v.message ?? 'is not valid',
        keys: (v.params as { keys?: string[] }).keys,
      }));
      const { message, fields } = describeIssues([{ part: err.validationContext ?? 'body', issues }]);
      return reply.status(400).send(errorBody('validation_error', message, { fields }));
    }
    const status = err.statusCode ?? 500;
    if (status === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      drainOversizedBody(req, reply);
      return reply.status(413).send(errorBody('payload_too_large', 'The request body is too large.'));
    }
    if (status === 415) {
      return reply
        .status(415)
        .send(errorBody('unsupported_media_type', 'Send JSON (Content-Type: application/json).'));
    }
    if (status === 429) {
      return reply.status(429).send(errorBody('rate_limited', 'Too many requests; retry later.'));
    }
    if (status >= 400 && status < 500) {
      // Malformed JSON, empty bodies, bad content length and the like.
      const message = FRAMEWORK_MESSAGES[err.code] ?? (err.message || 'The request is not valid.');
      return reply.status(400).send(errorBody('validation_error', message));
    }
    if (isUnavailableError(err)) {
      // The database went away or stayed locked: not the request's fault, and worth a retry.
      // A write that got this may or may not have committed; its Idempotency-Key settles it.
      req.log.warn({ err: { message: err.message, code: err.code }, reqId: req.id }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', '1')
        .send(errorBody('database_unavailable', 'The database is not available right now; retry shortly.'));
    }
    req.log.error({ err, reqId: req.id }, 'unexpected error');
    return reply
      .status(500)
      .send(errorBody('internal_error', `Something went wrong on our side (request ${req.id}).`));
  });

  const spaFallback = await webRoutes(app);
  app.setNotFoundHandler((req, reply) => {
    if (spaFallback?.(req, reply)) return;
    reply.status(404).send(errorBody('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`));
  });

  if (config.corsOrigin) {
    await app.register(cors, {
      origin: config.corsOrigin === '*' ? true : config.corsOrigin.split(',').map((s) => s.trim()),
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  await app.register(rateLimit, {
    global: config.rateLimitPerMinute > 0,
    max: config.rateLimitPerMinute || 1_000_000,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, c) => {
      const e = new HttpError('rate_limited', 'Too many requests; retry later.', undefined, {
        'retry-after': String(Math.ceil(c.ttl / 1000)),
      });
      return e;
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Credit billing API',
        version: '1.0.0',
        description: apiDescription(),
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          serviceKey: { type: 'apiKey', in: 'header', name: 'X-Service-Key' },
          apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'ck_live_...', description: 'A service API key made by an admin (`POST /api/admin/api-keys`), as `Authorization: Bearer ck_live_...`; `X-Service-Key` works too.' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (d) => decorateDocument(jsonSchemaTransformObject(d)),
  });
  if (config.apiDocs) await app.register(swaggerUi, { routePrefix: '/docs' });

  await registerRoutes(app, ctx);
  await deps.extraRoutes?.(app);
  return app;
}
