/**
 * Whether a fresh server's `process.nextTick` calls V8's runtime for its tick object's
 * computed keys (issue 21, goal 1; src/start/tick-shape.ts; bench/analysis.md, "Node's tick
 * objects lose their maps"), and what that costs `GET /health/live`.
 *
 *   npx tsx bench/tick-shape.ts [rounds] [server.mjs of build A] [server.mjs of build B] ...
 *
 * (after `npm run build:server`; with no script, this checkout's bench/server.mjs). Each round
 * starts a fresh server process of each build in turn (SQLite, the environment of bench/http.ts),
 * warms `GET /health/live` for 3 s with 64 connections, then measures 4 s: requests per second,
 * the server's CPU per request (/proc, all threads) and, from `perf record` of the process
 * (3 s, cpu-clock at 999 Hz, call graphs), the share of its samples under
 * `Runtime_DefineKeyedOwnPropertyInLiteral` (a C++ symbol of node, named without a perf map).
 * A process either has that path (5 to 10%) or not (0%): the state is set during start-up.
 */
import { spawn, spawnSync } from 'node:child_process';
import { autocannonRun, benchDb, startServerProc } from './http.js';

const rounds = Number(process.argv[2] ?? 5);
const scripts = process.argv.slice(3);
const builds = scripts.length ? scripts : [undefined];

/** The share of the samples in `perf.data` whose stack holds the runtime's literal store. */
function runtimeShare(data: string): string {
  const rep = spawnSync('perf', ['report', '-i', data, '--children', '--sort', 'sym', '--stdio'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const line = rep.stdout.split('\n').find((l) => /^\s+[\d.]+%\s+[\d.]+%/.test(l) && l.includes('Runtime_DefineKeyedOwnPropertyInLiteral'));
  return line ? (line.trim().split(/\s+/)[0] ?? '?') : '0%';
}

for (let round = 1; round <= rounds; round++) {
  for (const [i, script] of builds.entries()) {
    const db = await benchDb('sqlite');
    const server = await startServerProc(db, { MAX_EVENT_LOOP_DELAY_MS: '0' }, script);
    try {
      const opts = { url: `${server.url}/health/live`, connections: 64 };
      await autocannonRun({ ...opts, duration: 3 });
      const data = `${db.env.DATA_DIR}/perf.data`;
      const perf = spawn('perf', [
        'record',
        '-q',
        '-e',
        'cpu-clock',
        '-F',
        '999',
        '-g',
        '-o',
        data,
        '-p',
        String(server.child.pid),
        '--',
        'sleep',
        '3',
      ]);
      const cpu0 = server.cpu();
      const r = await autocannonRun({ ...opts, duration: 4 });
      const cpuUs = ((server.cpu() - cpu0) * 1e6) / (r.rps * 4);
      await new Promise((res) => perf.once('exit', res));
      const build = script ?? 'bench/server.mjs';
      console.log(
        `round ${round} build ${String.fromCharCode(65 + i)} (${build}): ${Math.round(r.rps)}/s, ${cpuUs.toFixed(1)} µs CPU/request, runtime literal stores ${runtimeShare(data)}`,
      );
    } finally {
      await server.stop();
    }
  }
}
