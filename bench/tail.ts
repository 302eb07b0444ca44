/**
 * Where the metered route's tail comes from (issue 21, goal 4): `npx tsx bench/tail.ts
 * [--dialect sqlite|postgres] [--rate N | --fraction 0.5] [--seconds S] [--env K=V,...]
 * [--server path/to/server.mjs] [--verbose]`.
 *
 * Measures the capacity (autocannon, 64 connections, closed loop) unless --rate is given,
 * then sends the metered POST /api/messages open loop at a fixed rate, evenly spaced (not
 * autocannon's overallRate, which lets every connection fire back to back at the start of
 * each second until its quota is used, so "half capacity" is saturation half of each second),
 * each request's latency counted from when it was due. The server runs with BENCH_TRACE=1
 * (bench/server.mjs): its GC pauses, writer batches, event-loop delay and memory come back
 * on stderr; on SQLite the WAL header's checkpoint sequence is polled every 5 ms. Prints the
 * percentiles, then each 100 ms window with a slow request (> 10 ms) beside what happened in it.
 */
import { openSync, readSync } from 'node:fs';
import type { Dialect } from '../src/db/open.js';
import { arg, load } from './common.js';
import { autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';
import { openLoop } from './open-loop.js';

const args = process.argv.slice(2);
const dialect = (arg('dialect') ?? 'sqlite') as Dialect;
const seconds = Number(arg('seconds') ?? 10);
const fraction = Number(arg('fraction') ?? 0.5);
const extraEnv = Object.fromEntries(
  (arg('env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string]),
);

type Ev = { ev: string; t: number; [k: string]: unknown };

const db = await benchDb(dialect);
// --server: another build's bench/server.mjs (a baseline copied aside), for A/B in one minute.
const server = await startServerProc(db, { BENCH_TRACE: '1', ...extraEnv }, arg('server'));
const events: Ev[] = [];
let buf = '';
server.child.stderr?.on('data', (d: Buffer) => {
  buf += d.toString();
  const lines = buf.split('\n');
  buf = lines.pop() ?? '';
  for (const l of lines) {
    if (!l.startsWith('{"ev"')) continue;
    events.push(JSON.parse(l) as Ev);
  }
});
try {
  const { token } = await fundedUser(server.url, `tail-${dialect}@example.com`, 50_000_000);
  const req = meteredRequest(token);
  let rate = Number(arg('rate') ?? 0);
  if (!rate) {
    await autocannonRun({ url: `${server.url}/api/messages`, connections: 64, duration: 2, ...req });
    const cap = await autocannonRun({ url: `${server.url}/api/messages`, connections: 64, duration: 5, ...req });
    rate = Math.round(cap.rps * fraction);
    console.log(`capacity ${Math.round(cap.rps)}/s (p99 ${cap.p99} ms), load ${load()}: the open loop runs at ${rate}/s`);
  }

  // SQLite: the WAL header's checkpoint sequence (bytes 12-15) changes when a checkpoint
  // completed and the next write restarts the WAL from its beginning.
  const checkpoints: number[] = [];
  let walTimer: NodeJS.Timeout | undefined;
  if (db.sqlitePath) {
    const fd = openSync(`${db.sqlitePath}-wal`, 'r');
    const b = Buffer.alloc(16);
    let last = -1;
    walTimer = setInterval(() => {
      readSync(fd, b, 0, 16, 0);
      const seq = b.readUInt32BE(12);
      if (last >= 0 && seq !== last) checkpoints.push(performance.timeOrigin + performance.now());
      last = seq;
    }, 5);
  }

  const evFrom = events.length;
  const cpu0 = server.cpu();
  const run = await openLoop(`${server.url}/api/messages`, rate, seconds, {
    method: 'POST',
    headers: req.headers as Record<string, string>,
    body: req.body as string,
  });
  const samples = run.samples;
  const cpuUs = Math.round(((server.cpu() - cpu0) * 1e6) / samples.length);
  clearInterval(walTimer);

  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (p: number) => (ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))] as number).toFixed(1);
  const bad = samples.filter((s) => s.status !== 200 && s.status !== 201).length;
  console.log(
    `${dialect} open loop ${rate}/s for ${seconds} s, load ${load()}: ${samples.length} requests, ${bad} not 2xx; server CPU ${cpuUs} µs per request; p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} p99.9 ${pct(99.9)} max ${pct(100)} ms`,
  );
  const evs = events.slice(evFrom);
  const batches = evs.filter((e) => e.ev === 'batch');
  const bms = batches.map((e) => e.ms as number).sort((a, b) => a - b);
  const bp = (p: number) => (bms[Math.min(bms.length - 1, Math.floor((p / 100) * bms.length))] ?? 0).toFixed(1);
  const sizes = batches.map((e) => e.size as number);
  console.log(
    `writer: ${batches.length} batches, mean size ${(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)).toFixed(1)}, max ${Math.max(0, ...sizes)}; batch ms p50 ${bp(50)} p99 ${bp(99)} max ${bp(100)}`,
  );
  const gcs = evs.filter((e) => e.ev === 'gc');
  console.log(
    `gc: ${gcs.length} pauses, ${gcs.reduce((a, e) => a + (e.ms as number), 0).toFixed(0)} ms in all, longest ${Math.max(0, ...gcs.map((e) => e.ms as number)).toFixed(1)} ms; WAL checkpoints seen: ${checkpoints.length}`,
  );
  const mems = evs.filter((e) => e.ev === 'mem');
  const mb = (x: unknown) => Math.round((x as number) / 2 ** 20);
  const lastMem = mems.at(-1);
  if (lastMem)
    console.log(
      `memory at the end: rss ${mb(lastMem.rss)} MB, heapTotal ${mb(lastMem.heapTotal)}, heapUsed ${mb(lastMem.heapUsed)}, external ${mb(lastMem.external)}, arrayBuffers ${mb(lastMem.arrayBuffers)}; rss max ${Math.max(...mems.map((m) => mb(m.rss)))} MB`,
    );

  // Each 100 ms window with a request slower than 10 ms, and what happened in it.
  const slow = new Map<number, number[]>();
  for (const s of samples) {
    if (s.ms <= 10) continue;
    const w = Math.floor(s.due / 100);
    slow.set(w, [...(slow.get(w) ?? []), s.ms]);
  }
  const inWindow = (w: number, t: number) => t >= w * 100 - 100 && t < w * 100 + 200;
  const windows = [...slow.entries()].sort((a, b) => a[0] - b[0]);
  let withCkpt = 0;
  let withGc = 0;
  let withLongBatch = 0;
  for (const [w, xs] of windows) {
    const ck = checkpoints.filter((t) => inWindow(w, t)).length;
    const gc = gcs.filter((e) => inWindow(w, e.t) && (e.ms as number) > 2);
    const lb = batches.filter((e) => inWindow(w, e.t) && (e.ms as number) > 10);
    const loop = evs.filter((e) => e.ev === 'loop' && inWindow(w, e.t)).map((e) => e.maxMs as number);
    if (ck) withCkpt++;
    if (gc.length) withGc++;
    if (lb.length) withLongBatch++;
    if (args.includes('--verbose'))
      console.log(
        `  ${new Date(w * 100).toISOString().slice(11, 23)} ${xs.length} slow (max ${Math.max(...xs).toFixed(0)} ms): checkpoints ${ck}, gc>2ms ${gc.map((e) => `${e.kind}:${e.ms}`).join(' ')}, batches>10ms ${lb.map((e) => `${e.size}@${e.ms}`).join(' ')}, loop max ${Math.max(0, ...loop)} ms`,
      );
  }
  console.log(
    `slow windows (100 ms with a request > 10 ms): ${windows.length}; with a WAL checkpoint ${withCkpt}, a GC pause > 2 ms ${withGc}, a batch > 10 ms ${withLongBatch}`,
  );
} finally {
  await server.stop();
  await db.dispose();
}
