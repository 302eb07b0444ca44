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
 * requests (autocannon `amount`), `-d`, `-i off` (bench/callgrind.ts). Every thread is
 * counted in a file of its own (`--separate-threads=yes`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallgrindServer } from './callgrind.js';
import { autocannonRun, benchDb, fundedUser, meteredRequest } from './http.js';

const requests = Number(process.argv[2] ?? 2000);
const metered = Number(process.argv[3] ?? 20_000);
const db = await benchDb('sqlite');
const cg = await CallgrindServer.start(db, mkdtempSync(join(tmpdir(), 'count-live-')));
const server = cg.server;
const live = { url: `${server.url}/health/live`, connections: 64, timeout: 600 };
async function count(label: string) {
  const w = await cg.window(live, requests);
  const per = (x: number) => Math.round(x / requests).toLocaleString('en');
  console.log(
    `${label}: ${per(w.all)} instructions per request, all threads (${w.counted.bad} bad); by thread: ${w.threads
      .filter((t) => t.ir > 0)
      .map((t) => `${t.thread} ${per(t.ir)}`)
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
  console.log(`dumps in ${cg.dir}`);
} finally {
  server.child.kill('SIGKILL');
  await db.dispose();
}
