/**
 * The benchmark's server process: the built service (dist/, what `npm start` runs) plus a
 * bare hello route, on SQLite (DATA_DIR) or PostgreSQL (DATABASE_URL + BENCH_PG_SCHEMA).
 * Prints one JSON line {url, readyMs} on stderr when ready (stdout carries the logs) and serves until SIGTERM. Run on its own
 * (`node bench/server.mjs`, after `npm run build`) so that autocannon does not share its thread, and
 * so it can be profiled (--cpu-prof) and measured (RSS, start time) alone.
 */
const started = performance.now();
const dist = new URL('../dist/', import.meta.url).href;
/** @type {typeof import('../src/config.js')} */
const { loadConfig } = await import(`${dist}config.js`);
/** @type {typeof import('../src/main.js')} */
const { startServer } = await import(`${dist}main.js`);

const config = loadConfig(process.env);
const schema = process.env.BENCH_PG_SCHEMA;
const running = await startServer(config, {
  ...(process.env.BENCH_LOGGER === 'off' ? { logger: false } : {}),
  ...(schema ? { pgSchema: schema } : {}),
  extraRoutes: (app) => {
    app.get('/bench/hello', async () => ({ hello: 'world' }));
    app.get('/bench/rss', async () => ({ rss: process.memoryUsage().rss }));
    // The monotonic clock of V8's CPU profiles (microseconds), to cut a profile to a load window.
    app.get('/bench/now', async () => ({ us: Number(process.hrtime.bigint() / 1000n) }));
    // BENCH_TRACE=2: the requests' timelines since the last read (bench/trace-requests.mjs).
    app.get('/bench/trace', async () => globalThis.__benchTrace?.dump() ?? null);
  },
});
process.stderr.write(`${JSON.stringify({ url: running.url, readyMs: Math.round(performance.now() - started) })}\n`);
if (process.env.BENCH_TRACE === '1') trace(running);
if (process.env.BENCH_TRACE === '2') await (await import('./trace-requests.mjs')).traceRequests(running);

/**
 * BENCH_TRACE=1 (bench/tail.ts): events that can make a slow request, one JSON line each on
 * stderr with the wall clock in ms: GC pauses, writer batches (size, duration), the
 * event loop's worst delay per 100 ms, and memory every second.
 */
async function trace(running) {
  const { PerformanceObserver, monitorEventLoopDelay } = await import('node:perf_hooks');
  const at = (t) => Math.round((performance.timeOrigin + t) * 100) / 100;
  const out = (o) => process.stderr.write(`${JSON.stringify(o)}\n`);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) out({ ev: 'gc', t: at(e.startTime), ms: Math.round(e.duration * 100) / 100, kind: e.detail?.kind });
  }).observe({ entryTypes: ['gc'] });
  running.core.writer.onBatch((size, ms) => out({ ev: 'batch', t: at(performance.now() - ms), ms: Math.round(ms * 100) / 100, size }));
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  setInterval(() => {
    out({ ev: 'loop', t: at(performance.now()), maxMs: Math.round(h.max / 1e4) / 100 });
    h.reset();
  }, 100).unref();
  setInterval(() => out({ ev: 'mem', t: at(performance.now()), ...process.memoryUsage() }), 1000).unref();
}
const stop = async () => {
  await running.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
