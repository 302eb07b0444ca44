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
 * - event-loop delay (MAX_EVENT_LOOP_DELAY_MS) and heap (MAX_HEAP_USED_MB), through
 *   @fastify/under-pressure: backstops for CPU-bound or memory pressure the count misses.
 *
 * Only /api/ is shed: health and metrics stay answered so operators and orchestrators can
 * see an overloaded instance, and the dashboard's static files and the docs cost next to
 * nothing (a blip of event-loop delay must not blank the dashboard). Open balance streams
 * are not counted (they hold no work) but new ones are shed.
 */
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
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

export async function loadShedding(app: FastifyInstance, opts: SheddingOptions, metrics: Metrics): Promise<void> {
  if (opts.maxInflight > 0) {
    let inflight = 0;
    app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done) => {
      if (exempt(req.url)) return done();
      if (inflight >= opts.maxInflight) {
        reply.send(shed(reply, metrics, 'requests_in_progress'));
        return;
      }
      if (req.url.startsWith('/api/credits/stream')) return done();
      inflight++;
      metrics.inflight.set(inflight);
      // 'close' comes once per response, whether it was sent or the client went away.
      reply.raw.once('close', () => {
        inflight--;
        metrics.inflight.set(inflight);
      });
      done();
    });
  }
  if (opts.maxEventLoopDelayMs > 0 || opts.maxHeapUsedBytes > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs,
      maxHeapUsedBytes: opts.maxHeapUsedBytes,
      sampleInterval: 250,
      // Returning a body makes under-pressure send it; returning nothing lets the request
      // through (index.js, handlePressure). Its types say void, hence the cast.
      pressureHandler: ((req: FastifyRequest, reply: FastifyReply, type: string) =>
        exempt(req.url) ? undefined : shed(reply, metrics, type)) as unknown as FastifyUnderPressureOptions['pressureHandler'],
    });
  }
}
