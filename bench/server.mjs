/**
 * The benchmark's server process: the built service (dist/, what `npm start` runs) plus a
 * bare hello route, on SQLite (DATA_DIR) or PostgreSQL (DATABASE_URL + BENCH_PG_SCHEMA).
 * Prints one JSON line {url, readyMs} on stderr when ready (stdout carries the logs) and serves until SIGTERM. Run on its own
 * (`node bench/server.mjs`, after `npm run build`) so that autocannon does not share its thread, and
 * so it can be profiled (--cpu-prof) and measured (RSS, start time) alone.
 */
const started = performance.now();
// BENCH_MEM=1 (bench/mem-metered.ts): the worker threads the service starts are recorded (a
// subclass put in node:worker_threads before the service is imported), so /bench/mem can
// weigh each one's heap and /bench/off can end one.
const benchWorkers = process.env.BENCH_MEM === '1' ? await recordWorkers() : null;
const dist = new URL('../dist/', import.meta.url).href;
/** @type {typeof import('../src/config.js')} */
const { loadConfig } = await import(`${dist}config.js`);
/** @type {typeof import('../src/main.js')} */
const { startServer } = await import(`${dist}main.js`);

const config = loadConfig(process.env);
const schema = process.env.BENCH_PG_SCHEMA;
const running = await startServer(config, {
  ...(process.env.BENCH_LOGGER === 'off' ? { logger: false } : {}),
  ...(schema ? { pgSchema: schema } : {}),
  extraRoutes: (app) => {
    app.get('/bench/hello', async () => ({ hello: 'world' }));
    app.get('/bench/rss', async () => process.memoryUsage());
    if (benchWorkers) {
      app.get('/bench/mem', async (req) => {
        // With node --expose-gc: the heap's live size after a full collection.
        if (req.query.gc === '1') globalThis.gc?.();
        return memory(benchWorkers, req.query.workers === '1', req.query.maps === '1');
      });
      // V8's sampling heap profiler on the main thread: what the objects still in the heap
      // (live, or promoted and not yet collected) were allocated by, top sites by bytes.
      let sampling = null;
      app.post('/bench/heap-sampling/:op', async (req) => {
        const { Session } = await import('node:inspector');
        const post = (s, m, p = {}) => new Promise((res, rej) => s.post(m, p, (e, r) => (e ? rej(e) : res(r))));
        if (req.params.op === 'start') {
          sampling = new Session();
          sampling.connect();
          // ?minor=1: also what the scavenges collected (per-request garbage), one sample per ?interval bytes.
          await post(sampling, 'HeapProfiler.startSampling', {
            samplingInterval: Number(req.query.interval ?? 16384),
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: req.query.minor === '1',
          });
          return { ok: true };
        }
        const { profile } = await post(sampling, 'HeapProfiler.stopSampling');
        sampling.disconnect();
        const sites = new Map();
        // ?by=ours: by the innermost frame of our own code (dist/), with the allocating frame after it.
        const ours = req.query.by === 'ours';
        // Bytes by the module of the allocating frame (a package, or dist/<dir>/<file>, or node:…).
        const modules = new Map();
        const moduleOf = (url) => {
          const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
          if (m) return m[1];
          const d = /\/dist\/(.*)\.js$/.exec(url);
          if (d) return `ours: ${d[1]}`;
          return url || '(native or runtime)';
        };
        const walk = (node, stack, own) => {
          const f = node.callFrame;
          const here = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`;
          const path = [...stack, here].slice(-4);
          const mine = here.includes(' dist/') ? here : own;
          const key = ours ? `${mine} ... ${here}` : path.join(' < ');
          if (node.selfSize > 0) {
            sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
            const mod = moduleOf(f.url);
            modules.set(mod, (modules.get(mod) ?? 0) + node.selfSize);
          }
          for (const c of node.children) walk(c, path, mine);
        };
        walk(profile.head, [], '(none of ours)');
        const total = [...sites.values()].reduce((a, b) => a + b, 0);
        return {
          total,
          top: [...sites].sort((a, b) => b[1] - a[1]).slice(0, 60),
          modules: [...modules].sort((a, b) => b[1] - a[1]).slice(0, 25),
        };
      });
      // Ends one suspect in the running process: the password-strength worker (as its idle
      // timer would) or the WAL checkpointer's worker (the connection checkpoints itself again).
      app.post('/bench/off/:what', async (req) => {
        const what = req.params.what;
        if (what === 'strength') {
          const m = await import(`${dist}core/accounts/password-strength.js`);
          await m.stopStrengthWorker();
        } else {
          for (const w of benchWorkers.live) if (w.kind === what) await w.worker.terminate();
        }
        return { ok: true };
      });
    }
    // The monotonic clock of V8's CPU profiles (microseconds), to cut a profile to a load window.
    app.get('/bench/now', async () => ({ us: Number(process.hrtime.bigint() / 1000n) }));
    // BENCH_TRACE=2: the requests' timelines since the last read (bench/trace-requests.mjs).
    app.get('/bench/trace', async () => globalThis.__benchTrace?.dump() ?? null);
  },
});
process.stderr.write(`${JSON.stringify({ url: running.url, readyMs: Math.round(performance.now() - started) })}\n`);
if (process.env.BENCH_TRACE === '1') trace(running);
if (process.env.BENCH_TRACE === '2') await (await import('./trace-requests.mjs')).traceRequests(running);

/**
 * BENCH_TRACE=1 (bench/tail.ts): events that can make a slow request, one JSON line each on
 * stderr with the wall clock in ms: GC pauses, writer batches (size, duration), the
 * event loop's worst delay per 100 ms, and memory every second.
 */
async function trace(running) {
  const { PerformanceObserver, monitorEventLoopDelay } = await import('node:perf_hooks');
  const at = (t) => Math.round((performance.timeOrigin + t) * 100) / 100;
  const out = (o) => process.stderr.write(`${JSON.stringify(o)}\n`);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) out({ ev: 'gc', t: at(e.startTime), ms: Math.round(e.duration * 100) / 100, kind: e.detail?.kind });
  }).observe({ entryTypes: ['gc'] });
  running.core.writer.onBatch((size, ms) => out({ ev: 'batch', t: at(performance.now() - ms), ms: Math.round(ms * 100) / 100, size }));
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  setInterval(() => {
    out({ ev: 'loop', t: at(performance.now()), maxMs: Math.round(h.max / 1e4) / 100 });
    h.reset();
  }, 100).unref();
  setInterval(() => out({ ev: 'mem', t: at(performance.now()), ...process.memoryUsage() }), 1000).unref();
}
const stop = async () => {
  await running.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

/** Puts a Worker subclass in node:worker_threads that keeps each live worker and what it is. */
async function recordWorkers() {
  const { createRequire, syncBuiltinESMExports } = await import('node:module');
  const wt = createRequire(import.meta.url)('node:worker_threads');
  const Original = wt.Worker;
  const live = new Set();
  wt.Worker = class extends Original {
    constructor(source, options) {
      super(source, options);
      const text = String(source);
      const kind = text.includes('wal_checkpoint')
        ? 'checkpointer'
        : text.includes('zxcvbn') || text.includes('Zxcvbn')
          ? 'strength'
          : 'other';
      const entry = { kind, worker: this };
      live.add(entry);
      this.once('exit', () => live.delete(entry));
    }
  };
  syncBuiltinESMExports();
  return { live };
}

/** The process's memory: Node's figures, V8's heap by space, /proc's rollup, threads; with `workers`, each worker's heap from a snapshot. */
async function memory(benchWorkers, workers, maps) {
  const { readFileSync, readdirSync } = await import('node:fs');
  const v8 = await import('node:v8');
  const rollup = Object.fromEntries(
    readFileSync('/proc/self/smaps_rollup', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.match(/^(\w+):\s+(\d+) kB/))
      .filter(Boolean)
      .map((m) => [m[1], Number(m[2]) * 1024]),
  );
  const out = {
    mem: process.memoryUsage(),
    heap: v8.getHeapStatistics(),
    spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }])),
    rollup,
    threads: readdirSync('/proc/self/task').length,
    workers: [...benchWorkers.live].map((w) => ({ kind: w.kind })),
  };
  if (maps) out.maps = bigMappings(readFileSync('/proc/self/smaps', 'utf8'));
  if (workers) {
    for (const [i, w] of [...benchWorkers.live].entries()) {
      out.workers[i].snapshotBytes = await snapshotSize(w.worker);
    }
  }
  return out;
}

/** The sum of the self sizes in a worker's heap snapshot: its live heap. */
async function snapshotSize(worker) {
  const stream = await worker.getHeapSnapshot();
  let text = '';
  for await (const chunk of stream) text += chunk;
  const snap = JSON.parse(text);
  const fields = snap.snapshot.meta.node_fields;
  const at = fields.indexOf('self_size');
  let sum = 0;
  for (let i = at; i < snap.nodes.length; i += fields.length) sum += snap.nodes[i];
  return sum;
}

/** Mappings with more than 1 MB resident, largest first: address range, size, resident, name. */
function bigMappings(smaps) {
  const out = [];
  let cur = null;
  for (const line of smaps.split('\n')) {
    const head = line.match(/^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/);
    if (head) {
      cur = {
        size: (Number.parseInt(head[2], 16) - Number.parseInt(head[1], 16)) / 1024,
        perms: head[3],
        name: head[4] || '[anon]',
        rss: 0,
      };
      out.push(cur);
      continue;
    }
    const rss = line.match(/^Rss:\s+(\d+) kB/);
    if (rss && cur) cur.rss = Number(rss[1]);
  }
  return out
    .filter((m) => m.rss > 512)
    .sort((a, b) => b.rss - a.rss)
    .map((m) => `${Math.round(m.rss / 1024)} MB of ${Math.round(m.size / 1024)} MB ${m.perms} ${m.name}`);
}
