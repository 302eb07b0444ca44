/**
 * BENCH_TRACE=2 (bench/server.mjs, read by bench/tail-attrib.ts): each metered request's
 * timeline inside the server, on the monotonic clock every process of the machine shares
 * (process.hrtime, CLOCK_MONOTONIC, in µs), so it can be joined with the load generator's
 * own times by the request's `x-bench-seq` header:
 *
 * - `req`: the http server's 'request' event (headers parsed); `fin`: the answer written
 *   (res.end called);
 * - `sub`: the ledger writer's submit; `res`: its promise settled;
 * - the batch it was committed in: `b` (its id), and per batch `start` (runBatch), `begun`
 *   (SQLite: BEGIN IMMEDIATE done, which waits while the checkpoint worker holds the lock),
 *   `commit` (the COMMIT done, the WAL's sync asked: SQLite), `synced` (the sync done), `end`
 *   (the batch's results handed out), `size`.
 *
 * Also the SQLite WAL's restarts (polled every 5 ms), GC pauses (start, duration) and the event loop's stalls: a 1 ms interval timer's
 * lateness over 2 ms (when the loop could not run a timer, what held it is in the same span).
 * Kept in memory and read at the end from GET /bench/trace, so tracing writes nothing while
 * the load runs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PerformanceObserver } from 'node:perf_hooks';

const us = () => Number(process.hrtime.bigint() / 1000n);
/** performance.now() (ms since this process's timeOrigin) on the hrtime clock, in µs. */
const perfToUs = (() => {
  const off = us() - performance.now() * 1000;
  return (t) => Math.round(off + t * 1000);
})();

export async function traceRequests(running) {
  const als = new AsyncLocalStorage();
  /** seq -> record */
  const reqs = new Map();
  const batches = [];
  const gcs = [];
  const stalls = [];
  let current = null;
  let nextBatch = 0;
  const opCtx = new WeakMap();

  running.app.server.prependListener('request', (req, res) => {
    const seq = req.headers['x-bench-seq'];
    if (seq === undefined) return;
    const r = { req: us() };
    reqs.set(Number(seq), r);
    // When the answer is written (res.end writes to the socket at once when it can; its
    // 'finish' can come later, after whatever holds the loop then).
    const end = res.end;
    res.end = function (...rest) {
      r.fin = us();
      return end.apply(this, rest);
    };
    als.enterWith(r);
    // The body's 'end' is emitted from the socket's callback, outside the context entered
    // above: enter it again there, so the handler (which Fastify runs from 'end') and the
    // writer's submit see this request's record.
    const emit = req.emit;
    req.emit = function (ev, ...rest) {
      if (ev === 'end') als.enterWith(r);
      return emit.call(this, ev, ...rest);
    };
  });

  const writer = running.core.writer;
  const submit = writer.submit.bind(writer);
  writer.submit = (op) => {
    const r = als.getStore();
    if (r) {
      r.sub = us();
      opCtx.set(op, r);
    }
    const p = submit(op);
    if (r)
      p.then(
        () => {
          r.res = us();
        },
        () => {
          r.res = us();
        },
      );
    return p;
  };
  const runBatch = writer.runBatch.bind(writer);
  writer.runBatch = async (batch, hooks, flight) => {
    const b = { id: nextBatch++, start: us(), size: batch.length };
    batches.push(b);
    for (const item of batch) {
      const r = opCtx.get(item.op);
      if (r) r.b = b.id;
    }
    current = b;
    try {
      return await runBatch(batch, hooks, flight);
    } finally {
      b.end = us();
    }
  };
  const commit = running.database.sqliteCommit;
  if (commit) {
    const begin = commit.begin.bind(commit);
    commit.begin = async () => {
      const b = current;
      try {
        return await begin();
      } finally {
        if (b) b.begun = us();
      }
    };
    const sync = commit.sync.bind(commit);
    commit.sync = async () => {
      const b = current;
      if (b) b.commit = us();
      try {
        return await sync();
      } finally {
        if (b) b.synced = us();
      }
    };
  }

  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: perfToUs(e.startTime), ms: e.duration, kind: e.detail?.kind });
  }).observe({ entryTypes: ['gc'] });

  // SQLite: the WAL header's checkpoint sequence (bytes 12-15) changes when the WAL starts
  // again from its beginning (after a checkpoint that copied every frame).
  const walRestarts = [];
  if (commit && process.env.DATA_DIR) {
    const { openSync, readSync } = await import('node:fs');
    const fd = openSync(`${process.env.DATA_DIR}/credits.db-wal`, 'r');
    const h = Buffer.alloc(16);
    let seq = -1;
    setInterval(() => {
      readSync(fd, h, 0, 16, 0);
      const now = h.readUInt32BE(12);
      if (seq >= 0 && now !== seq) walRestarts.push(us());
      seq = now;
    }, 5).unref();
  }
  let last = us();
  setInterval(() => {
    const now = us();
    if (now - last > 3000) stalls.push({ start: last + 1000, ms: (now - last - 1000) / 1000 });
    last = now;
  }, 1).unref();

  globalThis.__benchTrace = {
    dump() {
      const out = {
        reqs: Object.fromEntries(reqs),
        batches: batches.splice(0),
        gcs: gcs.splice(0),
        stalls: stalls.splice(0),
        walRestarts: walRestarts.splice(0),
      };
      reqs.clear();
      return out;
    },
  };
}
