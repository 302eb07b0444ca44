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
  },
});
process.stderr.write(`${JSON.stringify({ url: running.url, readyMs: Math.round(performance.now() - started) })}\n`);
const stop = async () => {
  await running.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
