/**
 * createApp(deps): the Fastify server. Validation through the contract's zod schemas
 * (which also make the OpenAPI document), one error handler that maps every failure to
 * the contract's error shape, security headers, metrics, and the route modules.
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ServerResponse } from 'node:http';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { type ZodTypeProvider, jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { apiDescription } from '../contracts/units.js';
import { type App, type AppDeps, type Lifecycle, createContext } from './context.js';
import { HttpError, answerError, sendError } from './http-errors.js';
import { bodyCheckCompiler } from './body-checks.js';
import { decorateDocument } from './openapi.js';
import { bufferedLogDestination } from './log-destination.js';
import {
  OBSERVE_DURATION,
  OneLineLogController,
  durationObserver,
  epochTimeOncePerMs,
  lazyRequestChildren,
  requestIds,
} from './request-log.js';
import { LiveProbe, serverWithProbe } from './live-probe.js';
import { loadShedding } from './plugins/load-shedding.js';
import { apiSecurityHeaders, securityHeaders } from './plugins/security-headers.js';
import { accountOnRoute } from './plugins/account.js';
import { registerRoutes } from './routes/index.js';
import { webRoutes } from './routes/web.js';

export type { App, AppContext, AppDeps, Lifecycle } from './context.js';

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-service-key"]',
  'req.headers["x-vapi-secret"]',
  'req.headers["stripe-signature"]',
  'req.headers.cookie',
];

/** Health probes and the metrics scrape: answered even while stopping or overloaded, with the short header set. */
function isOpsUrl(url: string): boolean {
  return url.startsWith('/health/') || url === '/metrics' || url.startsWith('/metrics?');
}

/**
 * Routes outside the global RATE_LIMIT_PER_MINUTE: a load balancer's probes must not share a
 * client's budget (a healthy process answered 429 and was taken for dead), nor the metrics
 * scrape and the API docs. The auth routes keep their own limit (AUTH_RATE_LIMIT).
 */
function outsideGlobalLimit(url: string): boolean {
  return isOpsUrl(url) || url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');
}

function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (v === null || typeof v !== 'object' || depth > 32) return false;
  if (Array.isArray(v)) return v.some((x) => hasNul(x, depth + 1));
  for (const k in v) {
    if (k.includes('\u0000') || hasNul((v as Record<string, unknown>)[k], depth + 1)) return true;
  }
  return false;
}

function nulError(): HttpError {
  return new HttpError('validation_error', 'The request contains a NUL character.', {
    fields: [{ path: 'request', message: 'NUL characters are not allowed' }],
  });
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

/**
 * Node's response class for the server: while the service is stopping, every answer whose
 * head is written from then on (answers of requests in flight, and the 503 of requests
 * that arrive on kept-alive connections) says `Connection: close` and closes its
 * connection (Node's `shouldKeepAlive`), so clients reconnect to another instance. This
 * costs one flag read per answer, where an onSend hook cost a hook runner per request.
 */
function closingWhileStopping(lifecycle: Lifecycle): typeof ServerResponse {
  class Response extends ServerResponse {
    override writeHead(...args: unknown[]): this {
      if (lifecycle.stopping) this.shouldKeepAlive = false;
      return (super.writeHead as (...a: unknown[]) => this)(...args);
    }
  }
  return Response as typeof ServerResponse;
}

export async function createApp(deps: AppDeps): Promise<App> {
  const { config } = deps;
  const lifecycle: Lifecycle = deps.lifecycle ?? { stopping: false };
  const stdoutLog = deps.logger === false || typeof deps.logger === 'object' ? undefined : bufferedLogDestination();
  const ids = requestIds();
  // GET /health/live answered before Fastify's router (live-probe.ts), unless every answer
  // gets headers of a plugin's (CORS): then Fastify answers it too. A global rate limit leaves
  // the probes out (outsideGlobalLimit), so it does not need Fastify's answer.
  const probe = config.corsOrigin
    ? null
    : new LiveProbe(ids, deps.metrics.httpDuration.child({ method: 'GET', route: '/health/live', status: 200 }), stdoutLog?.stream);
  const app = Fastify({
    // Without logs (`logger: false`) still a logger, a silent one: Fastify reports a request
    // completed (the log controller, which records its duration) only to a server with a logger.
    logger:
      deps.logger === false
        ? { level: 'silent' }
        : typeof deps.logger === 'object'
          ? { ...deps.logger, redact: REDACT }
          : { level: config.logLevel, redact: REDACT, stream: stdoutLog?.stream, timestamp: epochTimeOncePerMs },
    bodyLimit: 1024 * 1024,
    http: { ServerResponse: closingWhileStopping(lifecycle) },
    // Without the probe, Fastify makes its server itself.
    ...(probe ? { serverFactory: serverWithProbe(probe) } : {}),
    logController: new OneLineLogController(stdoutLog?.stream),
    // Behind reverse proxies (TRUST_PROXY), req.ip is the client the nearest trusted proxy saw.
    trustProxy: trustProxyOption(config.trustProxy),
    genReqId: ids,
    requestIdHeader: false,
    // While stopping, requests that still arrive on kept-alive connections are answered by
    // the hook below (503 with Retry-After and Connection: close), not by Fastify's bare 503.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 500 },
    // Errors the router raises before any route runs (bad URL encoding, oversized params).
    frameworkErrors: (err, req, reply) => {
      observeUnmatched(req as unknown as FastifyRequest, reply as unknown as FastifyReply);
      sendError(reply as unknown as FastifyReply, 'validation_error', err.message || 'The request URL is not valid.');
    },
  }).withTypeProvider<ZodTypeProvider>();

  if (stdoutLog) {
    app.addHook('onClose', (_app, done) => {
      stdoutLog.close();
      done();
    });
  }
  // An empty body sent as application/json is no body, as it is without the header (Fastify
  // refuses it with 400): clients that set the header on every request, a body-less POST
  // among them (release a hold, end a call), are answered as if they had sent none. A
  // route that needs a body still says so (400 validation_error).
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    (body as string).length === 0 ? done(null, undefined) : json(req, body as string, done),
  );
  // zod's, but for the bodies checked by hand on the metered route (body-checks.ts).
  app.setValidatorCompiler(bodyCheckCompiler);
  // Responses are built from the contract's types in the handlers; serialising them
  // without re-validating keeps the hot path cheap. Response schemas serve the docs.
  app.setSerializerCompiler(() => (data) => (typeof data === 'string' ? data : JSON.stringify(data)));
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);

  // Each request's logger is a RequestLogger, made by Fastify's default factory (request-log.ts).
  lazyRequestChildren(app.log);
  if (probe) probe.root = app.log;
  const ctx = createContext({ ...deps, lifecycle }, app.log);

  app.decorateRequest('principal', null);
  app.decorateRequest('apiKey', null);
  app.decorateRequest('account', null);
  // X-Account on the routes that act on an account (plugins/account.ts), after their authentication.
  app.addHook('onRoute', accountOnRoute(deps.core.database.db));

  // The global hooks below run on every request, /health/live included: each is one
  // synchronous callback (an async hook costs a promise per request), and the ops routes
  // (health probes, metrics) take the short branch. The rest is attached per route, only
  // where it is needed (onRoute below). bench/analysis.md has the profile.
  const security = securityHeaders();
  const apiSecurity = apiSecurityHeaders(security);
  // Load shedding (503 past capacity) is checked in the same hook, after the stopping check.
  const admit = loadShedding(app, config.shedding, deps.metrics);
  app.addHook('onRequest', (req, reply, done) => {
    const url = req.url;
    reply.header('x-request-id', req.id);
    // NUL characters are refused at the edge: PostgreSQL cannot store them in text, and no
    // field of the contract needs one. In the path or the query they can only come
    // percent-encoded (the HTTP parser refuses a raw NUL in the request line), so the URL
    // covers params and query; bodies are checked on the routes that take one (below).
    if (url.includes('%00')) return done(nulError());
    if (isOpsUrl(url)) {
      // Probes and scrapers read JSON or text, never render it: the browser policies
      // (CSP, framing, HSTS, ...) protect nothing there, nosniff keeps a body from being
      // taken for HTML. Stopping does not refuse them: they report the state.
      reply.header('x-content-type-options', 'nosniff');
      return done();
    }
    // The API's answers get the headers of a resource that is not a page, no-store among them
    // (balances, tokens: no cache, shared or private, keeps one); the dashboard and docs, helmet's.
    reply.headers(url.startsWith('/api/') ? apiSecurity : security);
    // Stopping (SIGTERM): a request that arrives on a kept-alive connection is refused at
    // once, nothing done, with Retry-After and Connection: close, so the client retries it
    // (on another instance) and drops the connection; health and metrics still answer.
    // Requests already in flight finish, and their answers close their connections too.
    if (!lifecycle.stopping) {
      if (admit === null || admit(req, reply)) done();
      return;
    }
    sendError(
      reply.header('retry-after', '1').header('connection', 'close'),
      'overloaded',
      'The service is restarting; nothing was done. Retry shortly.',
      { reason: 'shutting_down' },
    );
  });
  // Per route: the NUL check of the body where a body is taken, and the duration
  // histogram with the route's labelled child looked up once per status code (prom-client
  // hashes the label object on every observe() otherwise, and req.routeOptions builds an
  // object per call), kept in the route's config for the log controller.
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Before the route's own hooks, as the global hook this was ran.
    const add = (name: 'preValidation', hook: unknown) => {
      const own = route[name] ? (Array.isArray(route[name]) ? route[name] : [route[name]]) : [];
      (route as unknown as Record<string, unknown>)[name] = [hook, ...own];
    };
    if (methods.some((m) => m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS')) {
      add('preValidation', (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
        if (req.body !== undefined && hasNul(req.body)) return done(nulError());
        done();
      });
    }
    // Observed by the log controller when Fastify reports the request completed (request-log.ts).
    const observe = durationObserver(deps.metrics, methods.length === 1 ? String(methods[0]) : null, route.url);
    route.config = { ...route.config, [OBSERVE_DURATION]: observe } as RouteOptions['config'];
    // The rate-limit plugin (registered below) attaches no hook to such a route.
    if (outsideGlobalLimit(route.url)) route.config = { ...route.config, rateLimit: false };
  });
  // Requests no route answers (404s, and the router's own errors): the histogram's
  // `unmatched` route, observed when their answer is sent.
  const unmatched = durationObserver(deps.metrics, null, 'unmatched');
  const observeUnmatched = (req: FastifyRequest, reply: FastifyReply) => {
    reply.raw.once('finish', () => unmatched(req.method, reply.statusCode, reply.elapsedTime));
  };

  app.setErrorHandler((err: FastifyError, req, reply) => answerError(err, req, reply));

  const spaFallback = await webRoutes(app);
  app.setNotFoundHandler((req, reply) => {
    observeUnmatched(req, reply);
    if (spaFallback?.(req, reply)) return;
    sendError(reply, 'not_found', `No route ${req.method} ${req.url.split('?')[0]}.`);
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
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'ck_live_...',
            description:
              'A service API key made by an admin (`POST /api/admin/api-keys`), as `Authorization: Bearer ck_live_...`; `X-Service-Key` works too.',
          },
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
