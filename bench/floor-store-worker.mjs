/**
 * The floor's store on a worker thread (bench/floor-metered.mjs, `FLOOR_WORKER=1`): the thread
 * that answers HTTP only parses, queues and answers, while this thread owns the SQLite
 * connection and runs each batch (BEGIN IMMEDIATE, the contract's rows, COMMIT, the WAL's sync).
 * It asks whether a writer that owns its database on a thread of its own would give the
 * service's metered route more capacity on this machine (issue 21, goal 2; bench/analysis.md,
 * "The writer on a thread of its own, modelled with the floor": not on this machine).
 *
 * Messages: `{ id, op: 'apply', n }` answers `{ id, out }` (each debit's id and balance after)
 * or `{ id, error }`; `{ id, op: 'start', n }` answers `{ id, out }` once the batch is committed
 * and `{ id, synced: true }` (or the sync's error) once it is on disk (FLOOR_OVERLAP);
 * `{ id, op: 'fund', amount }` and `{ id, op: 'close' }` answer `{ id }`.
 * The store is the floor's own (bench/floor-rows.mjs), made here with the service's
 * `openDatabase`, migrations and ids, so a batch writes what it writes on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sqliteContractStore } from './floor-rows.mjs';

const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const [{ openDatabase }, { migrateToLatest }, { newId }] = await Promise.all([
  dist('db/open.js'),
  dist('db/migrate.js'),
  dist('core/ids.js'),
]);
const store = await sqliteContractStore({ openDatabase, migrateToLatest, newId }, workerData.path);
const port = parentPort;
if (!port) throw new Error('floor-store-worker: run as a worker thread');
port.on('message', async (msg) => {
  try {
    if (msg.op === 'apply') port.postMessage({ id: msg.id, out: await store.apply(msg.n) });
    else if (msg.op === 'start') {
      const { out, synced } = await store.start(msg.n);
      port.postMessage({ id: msg.id, out });
      synced.then(
        () => port.postMessage({ id: msg.id, synced: true }),
        (e) => port.postMessage({ id: msg.id, synced: e instanceof Error ? e.message : String(e) }),
      );
    } else if (msg.op === 'fund') {
      await store.fund(msg.amount);
      port.postMessage({ id: msg.id });
    } else if (msg.op === 'close') {
      await store.close();
      port.postMessage({ id: msg.id });
      port.close();
    }
  } catch (e) {
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
