/**
 * Instructions per `GET /health/live` request, counted by valgrind's callgrind in the server
 * process (a count that does not move with the machine's load), on a fresh server and again
 * on the same server after what `npm run bench`'s http section puts it through first (a
 * sign-up, which starts the password-strength worker, and metered load): issue 21, goal 1,
 * why the in-bench `/health/live` cost more than a fresh server's.
 *
 * `npx tsx bench/count-live.ts [requests] [metered]` (after `npm run build:server`). The server
 * (bench/server.mjs, environment of bench/http.ts, load shedding off, background jobs an
 * hour apart) starts under callgrind with instrumentation off; each counted window is a
 * warm-up, `callgrind_control -i on`, 500 settling requests, `-z`, exactly `requests`
 * requests (autocannon `amount`), `-d`, `-i off`. Every thread is counted in a file of its
 * own (`--separate-threads=yes`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autocannonRun, benchDb, fundedUser, meteredRequest, startServerProc } from './http.js';

const requests = Number(process.argv[2] ?? 2000);
const metered = Number(process.argv[3] ?? 20_000);
const QUIET = { MAX_EVENT_LOOP_DELAY_MS: '0', WEBHOOKS_POLL_MS: '3600000', ALERTS_POLL_MS: '3600000', HOLD_SWEEP_SECONDS: '3600' };
const out = mkdtempSync(join(tmpdir(), 'count-live-'));
const db = await benchDb('sqlite');
const nodeArgs = process.env.PERF_MAP === '1' ? ['--perf-basic-prof'] : [];
const server = await startServerProc(db, { ...QUIET, USER: 'bench' }, undefined, nodeArgs, [
  'valgrind',
  '--tool=callgrind',
  '--instr-atstart=no',
  '--separate-threads=yes',
  `--callgrind-out-file=${out}/callgrind.out.%p`,
]);
const pid = String(server.child.pid);
const ctl = (...args: string[]) =>
  execFileSync('callgrind_control', [...args, pid], { encoding: 'utf8', env: { ...process.env, USER: 'bench', HOST: '127.0.0.1' } });
const live = { url: `${server.url}/health/live`, connections: 64, timeout: 600 };
let dump = 0;
async function count(label: string) {
  await autocannonRun({ ...live, amount: 4000 });
  ctl('-i', 'on');
  await autocannonRun({ ...live, amount: 500 });
  ctl('-z');
  const r = await autocannonRun({ ...live, amount: requests });
  ctl('-d');
  ctl('-i', 'off');
  dump++;
  const files = readdirSync(out).filter((f) => new RegExp(`\\.${dump}-\\d+$`).test(f));
  const threads = files
    .map((f) => {
      const m = /^(?:totals|summary): (\d+)/m.exec(readFileSync(join(out, f), 'utf8'));
      return { t: f.slice(f.lastIndexOf('-') + 1), ir: Number(m?.[1] ?? 0) };
    })
    .sort((a, b) => a.t.localeCompare(b.t));
  const all = threads.reduce((s, t) => s + t.ir, 0);
  const per = (x: number) => Math.round(x / requests).toLocaleString('en');
  console.log(
    `${label}: ${per(all)} instructions per request, all threads (${r.bad} bad); by thread: ${threads
      .filter((t) => t.ir > 0)
      .map((t) => `${t.t} ${per(t.ir)}`)
      .join(', ')}`,
  );
}
try {
  await count('fresh');
  await count('fresh, again');
  const { token } = await fundedUser(server.url, 'count-live@example.com', 50_000_000);
  await count('after a sign-up');
  await autocannonRun({ url: `${server.url}/api/messages`, connections: 64, timeout: 600, amount: metered, ...meteredRequest(token) });
  await count(`after ${metered} metered requests`);
  await count('again');
  console.log(`dumps in ${out}`);
} finally {
  server.child.kill('SIGKILL');
  await db.dispose();
}
