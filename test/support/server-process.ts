/**
 * The service in a process of its own, for tests that kill it: configuration from the
 * environment exactly as in production (plus TEST_PG_SCHEMA for a test's own Postgres
 * schema). Prints `ready <url>` when it listens; stops on SIGTERM as `credits serve` does.
 */
import { loadConfig } from '../../src/config.js';
import { exitOnSignals, startServer } from '../../src/main.js';

const running = await startServer(loadConfig(process.env), {
  logger: false,
  ...(process.env.TEST_PG_SCHEMA ? { pgSchema: process.env.TEST_PG_SCHEMA } : {}),
});
exitOnSignals(running, (line) => process.stderr.write(`${line}\n`));
process.stdout.write(`ready ${running.url}\n`);
