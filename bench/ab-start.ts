/**
 * Start to ready of two or more builds, alternated: `npx tsx bench/ab-start.ts <rounds> <A/bench/server.mjs>
 * <B/bench/server.mjs> ...` (add `--dialect postgres` for PostgreSQL). Each build gets a database of its own,
 * created by a first start that is not counted; then, in every round, each build is started in turn on its
 * database (in rotating order) and stopped at its ready line. Prints, per build and round, the wall time from
 * spawn to ready and the CPU (user + system, all threads, from /proc) the process used until then: on a shared
 * machine the wall time follows the CPU the process is given, the CPU time what the start costs.
 */
import type { Dialect } from '../src/db/open.js';
import { type BenchDb, benchDb, cpuSeconds, startServerProc } from './http.js';

const args = process.argv.slice(2);
const at = args.indexOf('--dialect');
const dialect = (at >= 0 ? args.splice(at, 2)[1] : 'sqlite') as Dialect;
const [roundsArg, ...builds] = args;
const rounds = Number(roundsArg);
if (!(rounds > 0) || builds.length < 1) {
  console.error('usage: npx tsx bench/ab-start.ts <rounds> <server.mjs> [<server.mjs> ...] [--dialect sqlite|postgres]');
  process.exit(2);
}

const dbs = await Promise.all(builds.map(() => benchDb(dialect)));
for (const [i, script] of builds.entries()) {
  const s = await startServerProc(dbs[i] as BenchDb, {}, script);
  await s.stop();
}
const wall: number[][] = builds.map(() => []);
const cpu: number[][] = builds.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < builds.length; k++) {
    const i = (r + k) % builds.length;
    const s = await startServerProc(dbs[i] as BenchDb, {}, builds[i] as string);
    const used = cpuSeconds(s.child.pid);
    await s.stop();
    wall[i]?.push(Math.round(s.startMs));
    cpu[i]?.push(Math.round(used * 1000));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [i, script] of builds.entries()) {
  console.log(
    `${script}: wall ${wall[i]?.join(', ')} ms (median ${median(wall[i] ?? [])}); CPU ${cpu[i]?.join(', ')} ms (median ${median(cpu[i] ?? [])})`,
  );
}
for (const db of dbs) await db.dispose();
process.exit(0);
