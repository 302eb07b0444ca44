/**
 * The metered route (`POST /api/messages`, SQLite, one funded account, 64 connections) on a
 * fresh server process with and without some environment, alternated (the order reversed every
 * other round): requests/s, the server's CPU per request (/proc, all threads), p99 and RSS.
 *
 *   npx tsx bench/ab-env.ts [rounds] '{"NAME":"value"}'
 *
 * (after `npm run build:server`). Issue 21, goal 2: glibc's malloc against jemalloc
 * (`LD_PRELOAD`), bench/analysis.md, "jemalloc in place of glibc's malloc".
 */
import { autocannonRun, benchDb, fundedTokens, spreadMeteredRequest, startServerProc } from './http.js';

const rounds = Number(process.argv[2] ?? 4);
const variants: Record<string, string>[] = [{}, JSON.parse(process.argv[3] ?? '{}')];
for (let round = 1; round <= rounds; round++) {
  for (const env of round % 2 ? variants : [...variants].reverse()) {
    const db = await benchDb('sqlite');
    const server = await startServerProc(db, { MAX_EVENT_LOOP_DELAY_MS: '0', ...env });
    try {
      const tokens = await fundedTokens(server.url, 'ab-env', 1, 50_000_000);
      const opts = { url: `${server.url}/api/messages`, connections: 64, ...spreadMeteredRequest(tokens) };
      await autocannonRun({ ...opts, duration: 3 });
      const cpu0 = server.cpu();
      const r = await autocannonRun({ ...opts, duration: 5 });
      const cpuUs = ((server.cpu() - cpu0) * 1e6) / (r.rps * 5);
      const rss = await server.rss();
      console.log(
        `round ${round} ${JSON.stringify(env)}: ${Math.round(r.rps)}/s, ${cpuUs.toFixed(1)} µs CPU/request, p99 ${r.p99} ms, rss ${Math.round(rss / 2 ** 20)} MB`,
      );
    } finally {
      await server.stop();
    }
  }
}
