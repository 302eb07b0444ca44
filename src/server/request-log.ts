/**
 * The request's log line and duration, written when Fastify reports a request completed
 * (OneLineLogController), the per-request logger (RequestLogger) and the request ids: the
 * pieces every request pays for, kept off Fastify's hook runners (bench/analysis.md, issue
 * 21 goal 1).
 */
import { createRequire } from 'node:module';
import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';
import pino from 'pino';
import type { HistogramChild, Metrics } from './metrics.js';

/** Records one request's duration: (request method, status, elapsed milliseconds). */
export type ObserveDuration = (reqMethod: string, status: number, elapsedMs: number) => void;

/**
 * Records request durations for one route: the histogram's counts for (method, route,
 * status) are looked up once per status and kept (metrics.ts, LabelledHistogram). For a
 * route of one method they are kept by status in an array (a Map keyed by the status as
 * text cost a number's conversion and a hash lookup a request).
 */
export function durationObserver(metrics: Metrics, method: string | null, route: string): ObserveDuration {
  if (method !== null) {
    // HTTP's status codes (Fastify sends no other), indexed as they are.
    const byStatus: (HistogramChild | undefined)[] = Array.from({ length: 600 }, () => undefined);
    return (_reqMethod: string, status: number, elapsedMs: number) => {
      let child = byStatus[status];
      if (child === undefined) {
        child = metrics.httpDuration.child({ method, route, status });
        if (Number.isInteger(status) && status >= 0 && status < 600) byStatus[status] = child;
      }
      child.observe(elapsedMs / 1000);
    };
  }
  const children = new Map<string, HistogramChild>();
  return (reqMethod: string, status: number, elapsedMs: number) => {
    const key = `${reqMethod} ${status}`;
    let child = children.get(key);
    if (!child) {
      child = metrics.httpDuration.child({ method: reqMethod, route, status });
      children.set(key, child);
    }
    child.observe(elapsedMs / 1000);
  };
}

/** Where a route's duration observer sits in its config (set at onRoute, app.ts). */
export const OBSERVE_DURATION = Symbol('observeDuration');
/** Fastify's key of a reply's route context (whose `config` is the route's config): read, never written. */
const { kRouteContext } = createRequire(import.meta.url)('fastify/lib/symbols.js') as { kRouteContext: symbol };

/**
 * The logger of one request (req.log, reply.log), made only when something logs through
 * it. Fastify asks for a child logger per request (pino's child(): bindings serialised, a
 * new logger object), but on the hot path nothing but the request line logs, and that line
 * goes through the parent with the request id in it (same fields, same order); a handler or
 * hook that logs gets the real child, with its bindings, on first use. Fastify gets it from
 * the root logger's `child` (lazyRequestChildren).
 */
type LogFn = (...args: unknown[]) => void;
/**
 * Makes the root logger's `child()` return a RequestLogger, which is what Fastify's default
 * child-logger factory calls for each request. A factory of our own (the `childLoggerFactory`
 * option) did the same, but Fastify then checks the logger it returns on every request (an
 * array of seven method names, a filter, seven lookups by name that V8 cannot cache:
 * `validateLogger` in fastify/lib/logger-factory.js); through the default factory it does not.
 * pino's children inherit from their parent, so a child of a child goes to pino's own `child`.
 */
export function lazyRequestChildren(root: FastifyBaseLogger): void {
  const pinoChild = root.child;
  root.child = function (this: FastifyBaseLogger, bindings: Bindings, opts?: ChildLoggerOptions) {
    if (this !== root) return pinoChild.call(this, bindings, opts);
    return new RequestLogger(root, pinoChild, bindings, opts ?? {}) as unknown as FastifyBaseLogger;
  };
}
/** The log methods, one per level: each is the same call on the real child (set on the prototype below, so nothing is made per request). */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export class RequestLogger {
  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
  #real: FastifyBaseLogger | undefined;
  constructor(
    readonly parent: FastifyBaseLogger,
    /** pino's own `child` of the parent (whose `child` makes RequestLoggers). */
    private readonly pinoChild: FastifyBaseLogger['child'],
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}
  /** Whether the route sets a log level of its own (the request line must then go through the child). */
  get ownLevel(): boolean {
    return this.opts.level !== undefined;
  }
  /** The request's pino child, made on first use. */
  get real(): FastifyBaseLogger {
    this.#real ??= this.pinoChild.call(this.parent, this.bindings, this.opts);
    return this.#real;
  }
  get level(): string {
    return this.real.level;
  }
  set level(level: string) {
    this.real.level = level;
  }
  isLevelEnabled(level: string): boolean {
    return (this.real as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled(level);
  }
  silent() {}
  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, opts);
  }
}
for (const level of LOG_LEVELS) {
  RequestLogger.prototype[level] = function (this: RequestLogger, ...args: unknown[]) {
    (this.real[level] as LogFn)(...args);
  };
}

/** pino's own pieces of a line at a level (`{"level":30`), the time (`,"time":...`), the bindings (`,"pid":...,"hostname":...`) and the end (`}\n`). */
const { lsCacheSym, timeSym, chindingsSym, endSym, messageKeySym } = pino.symbols;
type PinoInternals = Record<symbol, unknown> & { levelVal: number };

/**
 * What JSON.stringify escapes in a string: the quote, the backslash, control characters, and
 * lone surrogates (a string with any surrogate is left to JSON.stringify, which keeps pairs).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/**
 * A string as JSON.stringify writes it. Most strings of a request line need no escape, and
 * for them quoting is a regular-expression test where JSON.stringify (a call into V8's
 * runtime) cost about 1,100 instructions per string (4 per line; bench/analysis.md).
 */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}
let lastKey = 'msg';
let lastQuoted = '"msg"';
/** The message key quoted (it is the same string, pino's `messageKey`, on every line). */
function quotedKey(key: string): string {
  if (key !== lastKey) {
    lastQuoted = jsonString(key);
    lastKey = key;
  }
  return lastQuoted;
}
/**
 * A duration rounded to tenths of a millisecond (`Math.round(x * 10) / 10`) as
 * `String()` writes it. A fraction is a heap number, and V8 converts one through its runtime
 * (about 140 ns); its tenths as integers take the cached small-integer path (about 20 ns).
 */
export function tenthsText(ms: number): string {
  const t = Math.round(ms * 10);
  // A value that is not a whole number of tenths, past 1e15 tenths (where the shortest text of
  // t / 10 may not be its digits), NaN or negative: String() itself.
  if (!(t >= 0 && t < 1e15) || t / 10 !== ms) return String(ms);
  const whole = Math.floor(t / 10);
  const tenth = t - whole * 10;
  return tenth === 0 ? String(whole) : `${whole}.${tenth}`;
}
/** Status codes as text, made once (a number's conversion per line otherwise). */
const STATUS_TEXT = Array.from({ length: 600 }, (_, i) => String(i));

/**
 * The request line as pino writes it for `info({ reqId, method, url, status, ms }, 'request')`
 * on the root logger, built from pino's own prefix, time, bindings and end: the same bytes
 * without pino's generic serialiser (a loop over the object's keys, a per-character escape
 * scan of each string, a dozen string concatenations the destination then flattens). Only
 * for the service's own stdout logger, where no serializer, formatter, hook or redaction
 * applies to these fields (REDACT names request headers only).
 */
export function requestLine(root: FastifyBaseLogger, reqId: string, method: string, url: string, status: number, ms: number): string {
  const p = root as unknown as PinoInternals;
  const code = STATUS_TEXT[status] ?? String(status);
  return `${(p[lsCacheSym] as Record<number, string>)[30]}${(p[timeSym] as () => string)()}${p[chindingsSym] as string},"reqId":${jsonString(reqId)},"method":${method === 'GET' ? '"GET"' : jsonString(method)},"url":${jsonString(url)},"status":${code},"ms":${tenthsText(ms)},${quotedKey(p[messageKeySym] as string)}:"request"${p[endSym] as string}`;
}

/** The service's own stdout destination (log-destination.ts), which takes a request line as text. */
export interface LineDestination {
  write(line: string): void;
}

/**
 * The request line of a request logged through the root logger (with its request id): with
 * `direct` (the service's stdout destination), a request that succeeded is written there as
 * requestLine(); anything else goes through pino. Also for the liveness probe that Node's
 * server answers before Fastify (live-probe.ts).
 */
export function logRequestLine(
  root: FastifyBaseLogger,
  direct: LineDestination | undefined,
  error: Error | null | undefined,
  reqId: string,
  method: string,
  url: string,
  status: number,
  ms: number,
): void {
  if (!error && direct && (root as unknown as PinoInternals).levelVal <= 30) {
    direct.write(requestLine(root, reqId, method, url, status, ms));
    return;
  }
  const withId = { reqId, method, url, status, ms };
  if (error) root.error({ ...withId, err: error }, 'request errored');
  else root.info(withId, 'request');
}

/** The path of an invitation's acceptance, whose next segment is the invitation's token. */
const INVITATION = '/api/invitations/';

/**
 * The URL as the log shows it: an invitation's token (`POST /api/invitations/:token/accept`)
 * replaced by `[redacted]`. The database keeps only the token's SHA-256 and the dashboard
 * carries it in the link's fragment, so that no access log holds a token that still works
 * (docs/security.md); a refused attempt leaves the token valid. One `startsWith` for the rest.
 */
export function loggedUrl(url: string): string {
  if (!url.startsWith(INVITATION)) return url;
  const end = url.slice(INVITATION.length).search(/[/?#]/);
  return `${INVITATION}[redacted]${end < 0 ? '' : url.slice(INVITATION.length + end)}`;
}

/**
 * One log line per request, when it completes, instead of Fastify's two (incoming and
 * completed): half the logging cost on the hot path, and no request headers in the log.
 * It also records the request's duration in the route's histogram (OBSERVE_DURATION).
 * With `direct` (the service's stdout destination), a request that succeeded is written
 * there as requestLine(); anything else goes through pino.
 */
export class OneLineLogController extends LogController {
  constructor(private readonly direct?: LineDestination) {
    super();
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const elapsed = reply.elapsedTime;
    // The route's duration histogram (the route's config holds its observer): here rather
    // than in an onResponse hook, which would run a hook runner per request.
    const config = (reply as unknown as Record<symbol, { config?: Record<symbol, ObserveDuration | undefined> }>)[kRouteContext]?.config;
    const observe = config?.[OBSERVE_DURATION];
    if (observe !== undefined) observe(req.method, reply.statusCode, elapsed);
    const log = reply.log as unknown;
    const ms = Math.round(elapsed * 10) / 10;
    if (log instanceof RequestLogger && !log.ownLevel) {
      logRequestLine(log.parent, this.direct, error, req.id, req.method, loggedUrl(req.url), reply.statusCode, ms);
      return;
    }
    const line = { method: req.method, url: loggedUrl(req.url), status: reply.statusCode, ms };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}

/** The hex digits of 0 to 4095, three each (requestIds). */
const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));

/**
 * Request ids shaped like a UUID: 24 random characters drawn once per process, then a
 * counter (12 hex digits). Unique within the process and, through the random part, across
 * instances, which is what correlating logs needs; a fresh randomUUID per request cost
 * about 0.6% of the server's CPU on GET /health/live.
 */
export function requestIds(from = 0): () => string {
  const base = crypto.randomUUID().slice(0, 24);
  // The counter's last three hex digits from a table, the nine before them made once per
  // 4,096 ids: the same text as `n.toString(16).padStart(12, '0')` without a conversion per id.
  const headOf = (n: number) =>
    base +
    Math.floor(n / 4096)
      .toString(16)
      .padStart(9, '0');
  let n = from;
  let head = headOf(n);
  return () => {
    const low = n % 4096;
    if (low === 0) head = headOf(n);
    n++;
    return head + (HEX3[low] as string);
  };
}

/** epochTimeOncePerMs's last millisecond and its text. */
let lastMs = -1;
let lastTime = '';

/**
 * pino's `epochTime` (`,"time":` and the milliseconds), its text made once per millisecond:
 * a busy server logs tens of lines a millisecond, each converting the same number.
 */
export function epochTimeOncePerMs(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":${now}`;
  }
  return lastTime;
}
