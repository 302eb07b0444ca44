/**
 * SQLite WAL checkpoints on a worker thread instead of in the committing connection.
 *
 * By default SQLite checkpoints in the connection whose COMMIT takes the WAL past 1,000
 * pages: that COMMIT then also copies the pages into the database file and fsyncs it.
 * better-sqlite3 is synchronous, so the whole process stalls meanwhile; under the metered
 * load this happened several times a second and made the slowest requests. Here the
 * process's connection has `wal_autocheckpoint = 0`, and a worker thread with its own
 * connection runs a PASSIVE checkpoint every CHECKPOINT_MS (it never blocks the writer;
 * the next write after a complete one restarts the WAL from its beginning). Under steady
 * writes a PASSIVE checkpoint never catches the last frames (new ones are appended while it
 * copies), so the WAL is never restarted and grows (30-60 MB in 6 s of back-to-back batches
 * in bench/prof-sqlite-commit.ts's setting); past RESTART_PAGES it runs a RESTART
 * checkpoint, which waits for the writer's transaction, copies what the PASSIVE ones left
 * (little) and holds the next transaction back meanwhile: the WAL stays near 16 MB, and the
 * writer waits a few ms once per 16 MB instead of checkpointing every 4 MB itself (its
 * BEGIN waits without holding the event loop: open.ts `sqliteWalSync`). If the worker
 * cannot start or dies, the connection checkpoints itself again, as before.
 *
 * After a checkpoint that copied every frame, the next write starts the WAL again from its
 * beginning and syncs the new WAL header first (SQLite does so under NORMAL too, against
 * out-of-order writes after a restart): that was a sync on the event loop once per
 * restart, several times a second at a moderate rate. The worker makes that write itself
 * (page 1's application id, rewritten to the value it has), so the process's commits only
 * ever append; it then skips its rounds until the WAL has frames past its own.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

const CHECKPOINT_MS = 100;
/** 16 MB of 4 KiB pages. */
const RESTART_PAGES = 4000;
/** SQLite's own default, restored when the worker is gone. */
const AUTOCHECKPOINT = 1000;

// CommonJS, evaluated as the worker's script (no file to find in src/ or dist/).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { endianness } = require('node:os');
const SQLite = require(workerData.module);
const db = new SQLite(workerData.path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
const passive = db.prepare('pragma wal_checkpoint(PASSIVE)');
const restart = db.prepare('pragma wal_checkpoint(RESTART)');
// A write that changes nothing (page 1's application id, to the value it has): enough to
// make this connection the one that starts the WAL again from its beginning.
const rewrite = () => db.pragma('application_id = ' + Number(db.pragma('application_id', { simple: true })));
// The WAL's last valid frame (mxFrame), from the wal-index header in the -shm file that
// SQLite keeps mapped (offset 16, native byte order); read without SQLite's locks, so a
// hint only: it can only make a round skip or run a checkpoint.
const shm = openSync(workerData.path + '-shm', 'r');
const word = Buffer.alloc(4);
const frames = () => {
  if (readSync(shm, word, 0, 4, 16) !== 4) return -1;
  return endianness() === 'LE' ? word.readUInt32LE(0) : word.readUInt32BE(0);
};
// mxFrame just after this worker started the WAL again: nothing to checkpoint until it moves.
let restartedAt = -1;
let stopped = false;
const timer = setInterval(() => {
  if (stopped) return;
  if (frames() === restartedAt) return;
  let r = passive.get();
  if (r && r.log > workerData.maxPages) r = restart.get();
  if (!r || r.log <= 0 || r.checkpointed !== r.log) {
    restartedAt = -1;
    return;
  }
  // Every frame is in the database file, so the next write starts the WAL again from its
  // beginning, and that write syncs the WAL's new header (under NORMAL too). Done here, it
  // costs the worker that sync instead of holding the event loop of the process for it.
  // Its commit needs no sync of its own (it changes nothing): NORMAL for it alone.
  // (A PRAGMA that sets a value does so when compiled: db.pragma() prepares it each time.)
  db.pragma('synchronous = NORMAL');
  try {
    rewrite();
  } finally {
    db.pragma('synchronous = FULL');
  }
  restartedAt = frames();
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  clearInterval(timer);
  closeSync(shm);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

export function walCheckpointer(path: string, sqlite: SQLite.Database): WalCheckpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      everyMs: CHECKPOINT_MS,
      maxPages: RESTART_PAGES,
    },
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  let running = false;
  const fallBack = () => {
    if (!running || !sqlite.open) return;
    running = false;
    sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT}`);
  };
  worker.on('message', (m) => {
    if (m !== 'ready' || !sqlite.open) return;
    // Until the worker runs, the connection checkpoints itself as usual.
    running = true;
    sqlite.pragma('wal_autocheckpoint = 0');
  });
  worker.on('error', fallBack);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('exit', fallBack);
  return {
    async stop() {
      // Referenced again, or a process waiting for nothing else would end here.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
