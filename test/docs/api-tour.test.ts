/**
 * docs/api-tour.md is the output of docs/api-tour.sh. This runs the script (bash, curl,
 * jq) against a real server process on each database and compares its output with the
 * page, ids and times aside, so the tour cannot drift from the service.
 * `UPDATE_TOUR=1` writes the fresh output into the page instead.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { activeDialects, createTestDb } from '../support/db.js';
import { databaseEnv, spawnServer } from '../support/spawn-server.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE = join(ROOT, 'docs/api-tour.md');
const BLOCK = /(<!-- tour:begin[^>]*-->\n```text\n)([\s\S]*?)(```\n<!-- tour:end -->)/;

/** What differs from run to run: generated ids and the times of the run. */
function stable(transcript: string): string {
  return transcript
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
}

describe.each(await activeDialects())('the API tour on %s', (dialect) => {
  it('runs against a real server and answers what docs/api-tour.md shows', async () => {
    const db = await createTestDb(dialect);
    const server = await spawnServer({
      ...databaseEnv(db),
      NODE_ENV: 'development',
      LOG_LEVEL: 'silent',
      // The tour is about answers, not load shedding: a busy test machine (a fresh process compiling the
      // first requests' code while other suites run) can delay this fresh process's event
      // loop past the 1 s trigger and turn a step into 503. The in-progress cap stays.
      MAX_EVENT_LOOP_DELAY_MS: '0',
      VAPI_WEBHOOK_SECRET: 'tour-secret',
      SERVICE_API_KEY: 'tour-service-key',
    });
    try {
      const { stdout, stderr } = await run('bash', [join(ROOT, 'docs/api-tour.sh'), server.url], {
        env: { PATH: process.env.PATH ?? '', TOUR_EMAIL: 'ada@example.com' },
        timeout: 60_000,
      });
      expect(stderr).toBe('');
      // The page shows the default port.
      const transcript = stdout.replaceAll(server.url, 'http://127.0.0.1:3000');
      const page = readFileSync(PAGE, 'utf8');
      const shown = BLOCK.exec(page);
      expect(shown, 'the tour block of docs/api-tour.md').not.toBeNull();
      if (process.env.UPDATE_TOUR && dialect === 'sqlite') {
        writeFileSync(
          PAGE,
          page.replace(BLOCK, (_m, begin: string, _old: string, end: string) => `${begin}${transcript}${end}`),
        );
        return;
      }
      expect(stable(transcript)).toBe(stable(shown?.[2] ?? ''));
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => (server.child.exitCode === null ? server.child.once('exit', r) : r(null)));
      await db.dispose();
    }
  }, 120_000);
});
