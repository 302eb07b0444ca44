/**
 * Where the metered route's disk syncs run, per request: `npx tsx bench/syncs-metered.ts <server.mjs A> <server.mjs B> [requests] [connections] [rate]`
 * (each build's bench/server.mjs serves its own dist/; SQLite). strace is attached to every
 * thread of each server while `requests` metered requests are sent (autocannon, closed
 * loop; with a rate, autocannon's overallRate), and fsync/fdatasync calls are counted by
 * thread: the event loop's (the process id) against the others (libuv's pool, the
 * checkpoint worker). A sync on the event loop holds every request meanwhile.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchDb, autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const [a, b] = [process.argv[2], process.argv[3]];
if (!a || !b) throw new Error('usage: syncs-metered.ts <server.mjs A> <server.mjs B> [requests] [connections] [rate]');
const requests = Number(process.argv[4] ?? 3000);
const connections = Number(process.argv[5] ?? 64);
const rate = Number(process.argv[6] ?? 0);
for (const [name, script] of [
  ['A', a],
  ['B', b],
] as const) {
  const db: BenchDb = await benchDb('sqlite');
  const s = await startServerProc(db, {}, script);
  try {
    const { token } = await fundedUser(s.url, `syncs-${name}@example.com`, 500_000_000);
    const opts = { url: `${s.url}/api/messages`, connections, ...meteredRequest(token) };
    await autocannonRun({ ...opts, amount: 500 });
    const pid = s.child.pid as number;
    const out = join(tmpdir(), `syncs-${process.pid}-${name}.txt`);
    const tids = readdirSync(`/proc/${pid}/task`);
    const st = spawn('strace', ['-qq', '-e', 'trace=fsync,fdatasync', '-o', out, ...tids.flatMap((t) => ['-p', t])], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    const load = await autocannonRun({ ...opts, amount: requests, ...(rate > 0 ? { overallRate: rate } : {}) });
    st.kill('SIGINT');
    await new Promise((r) => st.once('exit', r));
    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => /f(data)?sync\(/.test(l));
    rmSync(out, { force: true });
    const onLoop = lines.filter((l) => l.startsWith(`${pid} `)).length;
    const f = (n: number) => (n / requests).toFixed(3);
    console.log(
      `${name}: ${requests} requests (${Math.round(load.rps)}/s, bad ${load.bad}): syncs on the event loop ${onLoop} (${f(onLoop)}/request), on other threads ${lines.length - onLoop} (${f(lines.length - onLoop)}/request)`,
    );
  } finally {
    await s.stop();
    await db.dispose();
  }
}
