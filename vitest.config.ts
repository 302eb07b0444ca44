import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const client = (file: string) => fileURLToPath(new URL(`./packages/client/src/${file}`, import.meta.url));

export default defineConfig({
  // The client library's tests and the example app import it from its sources, not its build.
  resolve: {
    alias: [
      { find: /^@credit-billing\/client$/, replacement: client('index.ts') },
      { find: /^@credit-billing\/client\/(express|fastify)$/, replacement: client('$1.ts') },
    ],
  },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // Bundles the programs the tests start in child processes, once per run (test/support/entries.ts).
    globalSetup: ['test/support/global-setup.ts'],
    // The fault and load tests (test/reliability) kill servers, stop a Postgres and load the
    // machine to twice its measured capacity: they run one file at a time after the rest, so
    // neither disturbs the other's timing. The first-load browser test (a paint time under an
    // emulated slow network) runs with them, alone, for the same reason.
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'], exclude: ['node_modules', 'dist', '**/node_modules/**', 'src/web/**', 'test/reliability/**', 'test/e2e/load-budget.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'reliability', include: ['test/reliability/**/*.test.ts', 'test/e2e/load-budget.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
