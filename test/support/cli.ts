/**
 * The `credits` command as a user runs it (`src/cli/main.ts` from this run's bundle, see
 * entries.ts, as `npx credits` runs its build): one-shot commands, and `serve` in a child
 * process with its output.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { nodeArgs } from './entries.js';

const run = promisify(execFile);
const CLI = nodeArgs('src/cli/main.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command to its end; a non-zero exit is a result, not an exception. */
export async function credits(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [...CLI, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

export interface Serving {
  child: ChildProcess;
  url: string;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** The setup link it printed (waits for it, up to 10 s). */
  setupLink(): Promise<string>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `credits serve`, resolved once it printed where it listens. The event-loop-delay backstop
 * of load shedding is off unless `env` sets MAX_EVENT_LOOP_DELAY_MS: these tests are about
 * the command, and a server started on the loaded CI machine (two cores, the whole suite in
 * parallel) can be starved of its core for over a second and shed a test's request with 503
 * `overloaded` (test/cli/shutdown at 48a5f1e). Shedding is tested in test/reliability/overload.
 */
export function serve(env: NodeJS.ProcessEnv): Promise<Serving> {
  const child = spawn(process.execPath, [...CLI, 'serve'], {
    env: { MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 60_000);
    const check = () => {
      // The setup instructions follow the URL line; wait for them when they are due.
      const url = /serving on (http:\/\/\S+)/.exec(out)?.[1];
      if (!url || !/API docs/.test(out)) return;
      clearTimeout(timer);
      resolve({
        child,
        url,
        output: () => out,
        setupLink: async () => {
          const until = Date.now() + 10_000;
          for (;;) {
            const link = /(http:\/\/\S+\/setup\?token=\S+)/.exec(out)?.[1];
            if (link) return link;
            if (Date.now() > until) throw new Error(`no setup link printed: ${out}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout?.on('data', (d) => {
      out += d;
      check();
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it listened: ${out}`));
    });
  });
}
