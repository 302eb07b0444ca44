/**
 * The service in a process of its own, for tests that kill it: configuration from the
 * environment exactly as in production (plus TEST_PG_SCHEMA for a test's own Postgres
 * schema). Prints `ready <url>` when it listens; stops on SIGTERM as `credits serve` does.
 *
 * For the memory tests: on SIGUSR2 it collects all garbage (a full GC) and prints
 * `heap <json>`, the memory still live then (process.memoryUsage() in bytes). That is what
 * the process really holds, where its RSS also counts garbage not yet collected and freed
 * memory not yet given back, which vary with the allocation rate and the GC's timing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../../src/config.js';
import { exitOnSignals, startServer } from '../../src/main.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const running = await startServer(loadConfig(process.env), {
  logger: false,
  ...(process.env.TEST_PG_SCHEMA ? { pgSchema: process.env.TEST_PG_SCHEMA } : {}),
});
exitOnSignals(running, (line) => process.stderr.write(`${line}\n`));
process.on('SIGUSR2', () => {
  gc();
  process.stdout.write(`heap ${JSON.stringify(process.memoryUsage())}\n`);
});
process.stdout.write(`ready ${running.url}\n`);
