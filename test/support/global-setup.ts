/**
 * Once per test run, before any test file: the bundles of the programs the tests start in
 * child processes (see entries.ts), in a folder of this run's own, removed at the end.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ENTRIES_DIR_ENV, ROOT, buildEntries } from './entries.js';

export default async function setup(): Promise<(() => void) | undefined> {
  // With several projects the setup may be asked again in the same run: one build is enough.
  if (process.env[ENTRIES_DIR_ENV]) return undefined;
  const cache = join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'credits-test-entries-'));
  await buildEntries(dir);
  process.env[ENTRIES_DIR_ENV] = dir;
  return () => {
    delete process.env[ENTRIES_DIR_ENV];
    rmSync(dir, { recursive: true, force: true });
  };
}
