/**
 * The counted window of bench/count-live.ts, bench/count-metered.ts and bench/ab-live.ts: a
 * server process (bench/server.mjs, or another build's) under valgrind's callgrind with
 * instrumentation off, and windows of exactly `requests` requests whose user-space
 * instructions (Ir) are read from callgrind's dump, thread by thread (`--separate-threads=yes`:
 * the event loop, libuv's pool that runs the WAL's fdatasync, the checkpoint worker, V8's
 * threads each in a file of its own).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type autocannon from 'autocannon';
import { type BenchDb, type Load, type ServerProc, autocannonRun, startServerProc } from './http.js';

/**
 * Load shedding off (valgrind's slowness is no overload), and the background jobs (webhook
 * and alert polls, hold and grant sweeps) an hour apart: under valgrind they run some 50
 * times as often per request as in a real run and would be counted as request costs. USER:
 * vgdb finds the process by a file named for USER and HOST, the same on both sides (`ctl`).
 */
export const QUIET = {
  MAX_EVENT_LOOP_DELAY_MS: '0',
  WEBHOOKS_POLL_MS: '3600000',
  ALERTS_POLL_MS: '3600000',
  HOLD_SWEEP_SECONDS: '3600',
  USER: 'bench',
};

/** PERF_MAP=1: node writes /tmp/perf-<pid>.map, which bench/callgrind-js.py uses to name the JIT code in the dump. */
export const perfMapArgs = (): string[] => (process.env.PERF_MAP === '1' ? ['--perf-basic-prof'] : []);

/** What one window counted. */
export interface Window {
  /** The autocannon runs of the warm-up and of the counted requests (their `bad` answers). */
  warm: Load;
  counted: Load;
  /** Ir by thread, in thread order: `thread` is the dump file's suffix ('01' is the main thread, the event loop). */
  threads: { file: string; thread: string; ir: number }[];
  /** Ir of all threads, and of the main thread alone, in the counted requests. */
  all: number;
  main: number;
}

/** A server under callgrind, its dumps in `dir`. */
export class CallgrindServer {
  private dumps = 0;

  private constructor(
    readonly server: ServerProc,
    readonly dir: string,
  ) {}

  /** Starts `script` (bench/server.mjs by default) on `db` under callgrind, instrumentation off, dumps to `dir`. */
  static async start(db: BenchDb, dir: string, script?: string): Promise<CallgrindServer> {
    const wrapper = [
      'valgrind',
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${dir}/callgrind.out.%p`,
    ];
    return new CallgrindServer(await startServerProc(db, QUIET, script, perfMapArgs(), wrapper), dir);
  }

  private ctl(...args: string[]): void {
    execFileSync('callgrind_control', [...args, String(this.server.child.pid)], {
      encoding: 'utf8',
      env: { ...process.env, USER: 'bench', HOST: '127.0.0.1' },
    });
  }

  /**
   * One counted window of `req` (autocannon options without `amount`; valgrind runs the server
   * some 50 times slower, so give a long `timeout`): `warm` requests, `callgrind_control -i on`,
   * 500 settling requests (the first requests after instrumentation starts cost more: valgrind
   * translates the code again), `-z`, exactly `requests` requests (autocannon `amount`), `-d`,
   * `-i off`.
   */
  async window(req: Omit<autocannon.Options, 'amount'>, requests: number, warm = 4000): Promise<Window> {
    const warmed = await autocannonRun({ ...req, amount: warm });
    this.ctl('-i', 'on');
    await autocannonRun({ ...req, amount: 500 });
    this.ctl('-z');
    const counted = await autocannonRun({ ...req, amount: requests });
    this.ctl('-d');
    this.ctl('-i', 'off');
    this.dumps++;
    const dump = new RegExp(`\\.${this.dumps}-\\d+$`);
    const threads = readdirSync(this.dir)
      .filter((file) => dump.test(file))
      .map((file) => {
        const m = /^(?:totals|summary): (\d+)/m.exec(readFileSync(join(this.dir, file), 'utf8'));
        return { file, thread: file.slice(file.lastIndexOf('-') + 1), ir: Number(m?.[1] ?? 0) };
      })
      .sort((a, b) => a.thread.localeCompare(b.thread));
    const all = threads.reduce((s, t) => s + t.ir, 0);
    const main = threads.find((t) => t.thread === '01')?.ir ?? 0;
    return { warm: warmed, counted, threads, all, main };
  }
}
