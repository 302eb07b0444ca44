/**
 * What the young and old generation's collections cost per metered request, counted, not timed:
 * `npx tsx bench/gc-metered.ts [requests] [rounds] [node flags of A] [of B] [server.mjs]` (flags
 * space-separated, after the unit's own, bench/http.ts deployNodeArgs; by default A
 * `--allocation-site-pretenuring`, V8's default, against B `--no-allocation-site-pretenuring`).
 * Two fresh servers of one build, each under `--trace-gc-nvp`; per round and
 * process `requests` metered requests (64 connections, after a warm-up of the same number), then
 * from the server's log (its stdout) the scavenges and mark-compacts of the main isolate in that
 * window, their pauses, and the bytes allocated and promoted: per request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const n = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 2);
const flagsA = (process.argv[4] ?? '--allocation-site-pretenuring').split(' ').filter(Boolean);
const flagsB = (process.argv[5] ?? '--no-allocation-site-pretenuring').split(' ').filter(Boolean);
const script = process.argv[6] ?? new URL('./server.mjs', import.meta.url).pathname;
const procs = [];
for (const [name, extra] of [
  ['A', flagsA],
  ['B', flagsB],
] as const) {
  const db = await benchDb('sqlite');
  const s = await startServerProc(db, {}, script, ['--trace-gc-nvp', ...extra]);
  const { token } = await fundedUser(s.url, `gc-${name}@example.com`, 500_000_000);
  const opts = { url: `${s.url}/api/messages`, connections: 64, ...meteredRequest(token) };
  procs.push({ name: `${name}${extra.length ? ` (${extra.join(' ')})` : ''}`, s, db, opts });
}
const log = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('server-'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
    .split('\n')
    .filter((l) => l.includes('gc='));
try {
  for (const p of procs) await autocannonRun({ ...p.opts, amount: n });
  for (let r = 0; r < rounds; r++) {
    for (const p of r % 2 === 0 ? procs : [...procs].reverse()) {
      const dir = p.db.env.DATA_DIR as string;
      const before = log(dir).length;
      const l = await autocannonRun({ ...p.opts, amount: n });
      const all = log(dir).slice(before);
      // The main isolate's lines (the checkpointer worker's isolate logs too): the isolate with the most.
      const iso = (x: string) => /\[\d+:(0x[0-9a-f]+)\]/.exec(x)?.[1] ?? '';
      const counts = new Map<string, number>();
      for (const x of all) counts.set(iso(x), (counts.get(iso(x)) ?? 0) + 1);
      const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
      const lines = all.filter((x) => iso(x) === main);
      const num = (line: string, k: string) => Number(new RegExp(`\\b${k}=([\\d.]+)`).exec(line)?.[1] ?? 0);
      const sc = lines.filter((x) => /gc=s\b/.test(x));
      const mc = lines.filter((x) => /gc=(ms|mc|mmc)\b/.test(x));
      const sum = (xs: string[], k: string) => xs.reduce((a, x) => a + num(x, k), 0);
      console.log(
        `round ${r + 1} ${p.name}: ${Math.round(l.rps)}/s, bad ${l.bad}; per 1,000 requests ${((sc.length * 1000) / n).toFixed(2)} scavenges (${((sum(sc, 'pause') * 1000) / n).toFixed(1)} ms), ${((mc.length * 1000) / n).toFixed(2)} mark-compacts (${((sum(mc, 'pause') * 1000) / n).toFixed(1)} ms); per request ${Math.round(sum(sc, 'allocated') / n)} B allocated, ${Math.round(sum(sc, 'promoted') / n)} B promoted`,
      );
    }
  }
} finally {
  for (const p of procs) {
    await p.s.stop();
    await p.db.dispose();
  }
}
