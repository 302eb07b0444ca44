/** Starting the race test's worker processes (test/support/race-worker.ts) and reading their summaries. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TestDb } from './db.js';
import { nodeArgs } from './entries.js';

export interface Summary {
  ok: number;
  refused: number;
  /** Refused by a member's monthly limit (WORKER_MEMBERS). */
  limited: number;
  failed: string[];
  batches: number;
  expired: number;
}

export interface Worker {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  done: Promise<Summary>;
}

export function startWorker(db: TestDb, env: Record<string, string>): Worker {
  const child = spawn(process.execPath, nodeArgs('test/support/race-worker.ts'), {
    env: {
      ...process.env,
      ...(db.dialect === 'postgres'
        ? { WORKER_PG_URL: db.url as string, WORKER_PG_SCHEMA: db.pgSchema as string }
        : { WORKER_SQLITE: db.sqlitePath as string }),
      ...env,
    },
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const lines: Record<string, unknown>[] = [];
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  createInterface({ input: child.stdout }).on('line', (l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    lines.push(o);
    if (o.ready) onReady();
  });
  const done = new Promise<Summary>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const last = lines.at(-1);
      if (code !== 0 || !last || !('ok' in last)) reject(new Error(`worker exited ${code}: ${err}`));
      else resolve(last as unknown as Summary);
    });
  });
  // A worker that dies before it is ready must fail the test, not hang it.
  return { child, ready: Promise.race([ready, done.then(() => {})]), done };
}
