/**
 * The metered route's CPU profile on one dialect: `npx tsx bench/prof-metered.ts [sqlite|postgres] [seconds] [connections]`
 * (after `npm run build:server`). Prints self time by function and by place, and the server's
 * CPU per request from /proc. BENCH_PROFILE_TOP sets how many rows.
 */
import type { Dialect } from '../src/db/open.js';
import { benchDb, fundedUser, meteredRequest } from './http.js';
import { profileRun } from './profile.js';

const dialect = (process.argv[2] ?? 'sqlite') as Dialect;
const seconds = Number(process.argv[3] ?? 8);
const connections = Number(process.argv[4] ?? 64);
const db = await benchDb(dialect);
try {
  const r = await profileRun(
    db,
    undefined,
    'metered',
    async (url) => {
      const { token } = await fundedUser(url, 'prof@example.com', 50_000_000);
      return { url: `${url}/api/messages`, connections, ...meteredRequest(token) };
    },
    seconds,
  );
  console.log(
    `${Math.round(r.load.rps)}/s, p99 ${r.load.p99} ms, CPU ${r.load.cpuUs} µs/request (/proc), JS+GC ${r.busyUsPerRequest} µs/request`,
  );
  for (const x of r.byFunction) console.log(`${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}`);
  console.log('');
  for (const x of r.byPlace) console.log(`${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}`);
} finally {
  await db.dispose();
}
