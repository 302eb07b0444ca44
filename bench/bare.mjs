/**
 * The stack's limit: a bare Fastify process, no plugins, no hooks, no logger, answering
 * `GET /` with `{"hello":"world"}`. The HTTP section runs it beside the service (same run,
 * same load generator) so the service's routes are measured as ratios against what Fastify
 * itself costs on this machine. Prints one JSON line {url} on stderr when ready.
 */
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
// The monotonic clock of V8's CPU profiles (bench/profile.ts cuts a profile to its load window).
app.get('/bench/now', async () => ({ us: Number(process.hrtime.bigint() / 1000n) }));
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write(`${JSON.stringify({ url, readyMs: 0 })}\n`);
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
