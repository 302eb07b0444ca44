/**
 * An open-loop load at a fixed rate: requests evenly spaced in time, each one's latency
 * counted from when it was due (so a stall delays the requests behind it and they count
 * it, unlike a closed loop that stops sending). autocannon's `overallRate` is not that:
 * each connection sends back to back from the start of every second until its share of
 * the rate is used, then waits for the next second, so a "half capacity" run is
 * saturation for part of each second, and its latencies are those of a full queue.
 */
import http from 'node:http';

export interface OpenLoopSample {
  /** When the request was due, wall clock ms. */
  due: number;
  ms: number;
  status: number;
  /** With `trace`: the request's number (sent as `x-bench-seq`) and, on the monotonic clock every process shares (process.hrtime, µs), when it was due, written and answered. */
  seq?: number;
  dueUs?: number;
  sentUs?: number;
  /** The request written to its socket (after waiting for a free connection, if none was). */
  wroteUs?: number;
  doneUs?: number;
}

export interface OpenLoopResult {
  samples: OpenLoopSample[];
  rps: number;
  p50: number;
  p99: number;
  bad: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Sends `rate` requests a second for `seconds` to `url` (keep-alive connections, as many as needed). */
export async function openLoop(
  url: string,
  rate: number,
  seconds: number,
  req: { method?: string; headers?: Record<string, string>; body?: string },
  /** `maxMs`: give up after this long (the requests not answered by then count as failed, status 0), so a server that falls behind cannot keep a run going. */
  opts: { trace?: boolean; maxMs?: number } = {},
): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const u = new URL(url);
  const body = req.body ?? '';
  const headers = { ...(req.headers ?? {}), 'content-length': String(Buffer.byteLength(body)) };
  const samples: OpenLoopSample[] = [];
  const total = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const t0 = performance.now() + 20;
  // performance.now() on the hrtime clock (µs), for `trace`.
  const hr = () => Number(process.hrtime.bigint() / 1000n);
  const perfOff = hr() - performance.now() * 1000;
  let sent = 0;
  let done = 0;
  await new Promise<void>((resolve) => {
    const finish = (due: number, status: number, seq: number, sentUs: number, wroteUs: number) => {
      const now = performance.now();
      const s: OpenLoopSample = { due: performance.timeOrigin + due, ms: now - due, status };
      if (opts.trace) Object.assign(s, { seq, dueUs: Math.round(perfOff + due * 1000), sentUs, wroteUs, doneUs: hr() });
      samples.push(s);
      if (++done === total) resolve();
    };
    const send = (due: number, seq: number) => {
      const h = opts.trace ? { ...headers, 'x-bench-seq': String(seq) } : headers;
      let sentUs = 0;
      let wroteUs = 0;
      const r = http.request(
        { host: u.hostname, port: u.port, path: u.pathname, method: req.method ?? 'GET', agent, headers: h },
        (res) => {
          res.resume();
          res.on('end', () => finish(due, res.statusCode ?? 0, seq, sentUs, wroteUs));
        },
      );
      r.on('error', () => finish(due, 0, seq, sentUs, wroteUs));
      if (opts.trace)
        r.once('finish', () => {
          wroteUs = hr();
        });
      r.end(body);
      if (opts.trace) sentUs = hr();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + sent * interval <= now) {
        send(t0 + sent * interval, sent);
        sent++;
      }
      if (sent < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 20);
    if (opts.maxMs)
      setTimeout(() => {
        sent = total;
        for (let i = done; i < total; i++) samples.push({ due: 0, ms: opts.maxMs as number, status: 0 });
        done = total;
        resolve();
      }, opts.maxMs).unref();
  });
  agent.destroy();
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  const first = Math.min(...samples.map((s) => s.due));
  const last = Math.max(...samples.map((s) => s.due + s.ms));
  return {
    samples,
    rps: samples.length / ((last - first) / 1000),
    p50: round(percentile(ms, 50)),
    p99: round(percentile(ms, 99)),
    bad: samples.filter((s) => s.status < 200 || s.status > 299).length,
  };
}
