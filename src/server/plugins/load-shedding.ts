/**
 * Load shedding: past its capacity the service answers 503 `overloaded` with Retry-After at
 * once, before reading the body, authenticating or touching the database, instead of
 * queueing work it cannot finish in time (latency and memory would grow without bound
 * under an open-loop flood). Nothing is written for a shed request, so a client retries it
 * as is. Three limits, each off at 0:
 *
 * - requests in progress (MAX_INFLIGHT_REQUESTS): the direct measure of queued work. Each
 *   in-progress request holds its body, a writer slot and a socket; the cap bounds memory
 *   and keeps the queueing delay near cap / throughput.
 * - event-loop delay (MAX_EVENT_LOOP_DELAY_MS) and heap (MAX_HEAP_USED_MB): backstops for
 *   CPU-bound or memory pressure the count misses. A timer samples them every 250 ms (the
 *   mean delay of perf_hooks' event-loop-delay histogram less its 10 ms resolution, as
 *   @fastify/under-pressure computes it, or the sampler's own lateness when that is more:
 *   one long block; V8's used heap) and sets one flag; a request only
 *   reads the flag, in the same check as the count, which the app's one onRequest hook calls. This replaced under-pressure,
 *   whose own hook built `req.routeOptions` on every request and whose sampler read the
 *   process's RSS through process.memoryUsage() (issue 21: profile in bench/analysis.md).
 *
 * Only /api/ is shed: health and metrics stay answered so operators and orchestrators can
 * see an overloaded instance, and the dashboard's static files and the docs cost next to
 * nothing (a blip of event-loop delay must not blank the dashboard). Open balance streams
 * are not counted (they hold no work) but new ones are shed.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../http-errors.js';
import type { Metrics } from '../metrics.js';

export interface SheddingOptions {
  maxInflight: number;
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
}

const RETRY_AFTER_SECONDS = '1';

/** Only the API is shed: health and metrics must stay visible, and the dashboard's files and the docs cost next to nothing. */
function exempt(url: string): boolean {
  return !url.startsWith('/api/');
}

function shed(reply: FastifyReply, metrics: Metrics, reason: string) {
  metrics.shed.inc({ reason });
  reply.code(503).header('retry-after', RETRY_AFTER_SECONDS);
  return errorBody('overloaded', 'The service is at capacity; nothing was done. Retry shortly.', { reason });
}

const SAMPLE_MS = 250;
const RESOLUTION_MS = 10;

/**
 * Samples event-loop delay and heap every SAMPLE_MS and answers the pressure they show (the
 * shed reason, as under-pressure named it) or null. Stopped by the returned `stop`.
 */
function pressureSampler(opts: SheddingOptions): { current(): string | null; stop(): void } {
  let pressure: string | null = null;
  const histogram = opts.maxEventLoopDelayMs > 0 ? monitorEventLoopDelay({ resolution: RESOLUTION_MS }) : null;
  histogram?.enable();
  let due = performance.now() + SAMPLE_MS;
  const timer = setInterval(() => {
    let next: string | null = null;
    const now = performance.now();
    // How late this sample itself ran: a block of the loop delays it as it delays the
    // histogram's own timer, and the two are due together after a block. When this one runs
    // first, the histogram has not yet recorded the block; its own lateness has.
    const late = now - due;
    due = now + SAMPLE_MS;
    if (histogram) {
      // No sample in the interval (the loop was blocked throughout): NaN, as bad as it gets.
      const mean = histogram.mean / 1e6;
      const delay = Number.isNaN(mean) ? Number.POSITIVE_INFINITY : Math.max(0, mean - RESOLUTION_MS, late);
      histogram.reset();
      if (delay > opts.maxEventLoopDelayMs) next = 'eventLoopDelay';
    }
    if (next === null && opts.maxHeapUsedBytes > 0 && getHeapStatistics().used_heap_size > opts.maxHeapUsedBytes) {
      next = 'heapUsedBytes';
    }
    pressure = next;
  }, SAMPLE_MS);
  timer.unref();
  return {
    current: () => pressure,
    stop: () => {
      clearInterval(timer);
      histogram?.disable();
    },
  };
}

/**
 * The shedding check of one request, for the app's own onRequest hook (one hook runner per
 * request instead of two): true when the request may go on, false when it was answered 503
 * here. Null when every limit is off. The sampler stops when the app closes.
 */
export type Admit = (req: FastifyRequest, reply: FastifyReply) => boolean;

export function loadShedding(app: FastifyInstance, opts: SheddingOptions, metrics: Metrics): Admit | null {
  const sampled = opts.maxEventLoopDelayMs > 0 || opts.maxHeapUsedBytes > 0;
  if (opts.maxInflight <= 0 && !sampled) return null;
  const sampler = sampled ? pressureSampler(opts) : null;
  if (sampler)
    app.addHook('onClose', (_app, done) => {
      sampler.stop();
      done();
    });
  let inflight = 0;
  return (req, reply) => {
    if (exempt(req.url)) return true;
    const pressure = sampler?.current();
    if (pressure) {
      reply.send(shed(reply, metrics, pressure));
      return false;
    }
    if (opts.maxInflight <= 0) return true;
    if (inflight >= opts.maxInflight) {
      reply.send(shed(reply, metrics, 'requests_in_progress'));
      return false;
    }
    if (req.url.startsWith('/api/credits/stream')) return true;
    inflight++;
    metrics.inflight.set(inflight);
    // 'close' comes once per response, whether it was sent or the client went away.
    reply.raw.once('close', () => {
      inflight--;
      metrics.inflight.set(inflight);
    });
    return true;
  };
}
