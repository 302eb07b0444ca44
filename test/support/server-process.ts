/**
 * The service in a process of its own, for tests that kill it: configuration from the
 * environment exactly as in production (plus TEST_PG_SCHEMA for a test's own Postgres
 * schema). Prints `ready <url>` when it listens.
 */
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/main.js';

const running = await startServer(loadConfig(process.env), {
  logger: false,
  ...(process.env.TEST_PG_SCHEMA ? { pgSchema: process.env.TEST_PG_SCHEMA } : {}),
});
process.stdout.write(`ready ${running.url}\n`);
process.on('SIGTERM', () => {
  void running.stop().then(() => process.exit(0));
});
