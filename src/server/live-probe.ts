/**
 * `GET /health/live` answered by Node's HTTP server before Fastify routes the request
 * (issue 21, goal 1: a route that does nothing must cost nearly nothing).
 *
 * The liveness probe is the one route whose answer depends on nothing: no input, no
 * state, no authentication. Through Fastify it paid the whole pipeline every route pays
 * (the router, a Request and a Reply, the app's onRequest hook and its runner, the reply's
 * serialisation, a `finish` listener for the log line): about 1.5 times the CPU a request of a
 * bare Fastify process answering `{"hello":"world"}` (bench/analysis.md, "The liveness probe
 * before the router"). Here it pays what it needs: its request id, its two headers, its
 * body, the duration in the route's histogram and the request line, the same bytes as
 * through Fastify.
 *
 * Only an exact `GET /health/live` is answered here, and only while the server listens (a
 * closing Fastify answers with `Connection: close` of its own). `HEAD`, a query string, and
 * every other request go to Fastify, where the route is also registered: the OpenAPI
 * document, `app.inject` and `HEAD` use it. With CORS_ORIGIN (whose headers go on every
 * answer) set, there is no fast path and Fastify answers the probe too. A global
 * RATE_LIMIT_PER_MINUTE leaves the probes out (app.ts, outsideGlobalLimit), so the fast path
 * stays. While the service is stopping, the answer still says `Connection: close`:
 * the response class is the server's (app.ts, closingWhileStopping).
 */
import { type IncomingMessage, type Server, type ServerOptions, type ServerResponse, createServer } from 'node:http';
// The global `performance` is an accessor on globalThis, which V8's global-load cache does
// not keep: a lookup of its own on each use (about 0.2 µs a request in the profile).
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger, FastifyServerFactory } from 'fastify';
import type { HistogramChild } from './metrics.js';
import { type LineDestination, logRequestLine } from './request-log.js';

const LIVE = '/health/live';
/** The route's answer, as Fastify sends `{ status: 'ok' }` (health.ts). */
const BODY = '{"status":"ok"}';
const CONTENT_TYPE = 'application/json; charset=utf-8';
const CONTENT_LENGTH = String(Buffer.byteLength(BODY));

export class LiveProbe {
  #root: FastifyBaseLogger | undefined;
  constructor(
    /** The app's request ids (its genReqId): one sequence for both paths. */
    private readonly ids: () => string,
    /** The route's duration histogram, its series of status 200 (seconds). */
    private readonly ok: HistogramChild,
    /** The service's own stdout destination, which takes the request line as text (request-log.ts). */
    private readonly direct: LineDestination | undefined,
  ) {}

  /** The app's root logger, once Fastify has made it (the server is made before). */
  set root(root: FastifyBaseLogger) {
    this.#root = root;
  }

  /** Answers the request when it is the probe's; false sends it on to Fastify. */
  answer(req: IncomingMessage, res: ServerResponse, server: Server): boolean {
    if (req.url !== LIVE || req.method !== 'GET' || this.#root === undefined || !server.listening) return false;
    const start = performance.now();
    const id = this.ids();
    // Fastify's order: the app's onRequest hook sets the first two, Reply.send the others. A
    // flat list of names and values, which Node reads by index: an object's keys cost it a
    // for-in with an own-property test and a keyed load each.
    res.writeHead(200, [
      'x-request-id',
      id,
      'x-content-type-options',
      'nosniff',
      'content-type',
      CONTENT_TYPE,
      'content-length',
      CONTENT_LENGTH,
    ]);
    res.end(BODY);
    // Written by then (a socket that takes it at once, as a probe's does): what Fastify
    // would measure at the answer's `finish`, within a tick.
    const elapsed = performance.now() - start;
    this.ok.observe(elapsed / 1000);
    logRequestLine(this.#root, this.direct, null, id, 'GET', LIVE, 200, Math.round(elapsed * 10) / 10);
    return true;
  }
}

/**
 * Fastify's `serverFactory`: the HTTP/1 server Fastify makes itself (fastify/lib/server.js,
 * getServerInstance: the same options and timeouts), whose requests go to the probe first.
 */
export function serverWithProbe(probe: LiveProbe): FastifyServerFactory {
  return (handler, opts) => {
    const options = opts as {
      http?: ServerOptions;
      keepAliveTimeout: number;
      requestTimeout: number;
      connectionTimeout: number;
      maxRequestsPerSocket?: number;
    };
    const server: Server = createServer(options.http ?? {}, (req, res) => {
      if (!probe.answer(req, res, server)) handler(req, res);
    });
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout);
    if ((options.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket ?? null;
    return server;
  };
}
