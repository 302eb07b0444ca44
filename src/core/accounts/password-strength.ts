/**
 * zxcvbn-ts in one worker thread, started on the first check and ended 10 s (idleMs) after the
 * last answer. Sign-ups are rare next to metered requests, and the worker is the largest
 * thing in the process: its dictionaries are 27 MB of live heap, and with V8's default
 * young generation (semi-spaces of 16 MB, filled while the dictionaries are built) the
 * worker added 94 MB of RSS to a bare process, 57 MB with the young generation capped at
 * 4 MB (YOUNG_MB; its start took 379-407 ms of CPU against 395-439 ms, bench/analysis.md
 * "RSS under the metered load"). Kept a minute, it stayed through the load that followed
 * a sign-up; ended after 10 s idle, a burst of sign-ups shares one worker and the load
 * after it runs without it. Starting it again costs a check about 400 ms of CPU on its
 * own thread, never on the event loop. The worker keeps the process alive only while a
 * check is in flight (a command-line `set-password` waits for its answer; an idle worker
 * never holds a process open). If it fails, the checks in flight reject and the next
 * check starts a new one.
 *
 * The worker's code is a string (eval) that loads the packages by their resolved paths,
 * so it runs the same from src/ under tsx or vitest and from the transpiled dist/.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What the estimator says of one password. */
export interface Strength {
  score: number;
  warning: string | null;
  suggestions: string[];
}

/** How long the worker outlives its last answer (`setStrengthIdleMs` changes it, for tests). */
let idleMs = 10_000;
/** The worker's young generation (MB): V8's default lets it grow to 3 x 16 MB while the dictionaries are built. */
const YOUNG_MB = 4;

const PACKAGES = ['@zxcvbn-ts/core', '@zxcvbn-ts/language-common', '@zxcvbn-ts/language-en'];

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const [core, common, en] = workerData.map((p) => require(p));
const z = new core.ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
});
parentPort.on('message', ({ id, password, inputs }) => {
  try {
    const r = z.check(password, inputs);
    parentPort.postMessage({ id, strength: { score: r.score, warning: r.feedback.warning, suggestions: r.feedback.suggestions } });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message ? e.message : e) });
  }
});
`;

interface Pending {
  resolve(s: Strength): void;
  reject(e: Error): void;
}

let worker: Worker | null = null;
let idle: NodeJS.Timeout | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(w: Worker, e: Error) {
  if (worker !== w) return;
  worker = null;
  for (const p of pending.values()) p.reject(e);
  pending.clear();
}

function start(): Worker {
  const require = createRequire(import.meta.url);
  const w = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: PACKAGES.map((p) => require.resolve(p)),
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB },
  });
  w.unref();
  w.on('message', (m: { id: number; strength?: Strength; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.strength) p.resolve(m.strength);
    else p.reject(new Error(`password strength check failed: ${m.error}`));
    if (pending.size === 0) {
      w.unref();
      stopWhenIdle();
    }
  });
  w.on('error', (e) => failAll(w, e));
  w.on('exit', (code) => failAll(w, new Error(`password strength worker exited (${code})`)));
  return w;
}

function stopWhenIdle() {
  if (idle) clearTimeout(idle);
  idle = setTimeout(() => {
    idle = null;
    if (pending.size > 0 || !worker) return;
    const w = worker;
    worker = null;
    void w.terminate();
  }, idleMs);
  idle.unref();
}

/** zxcvbn's score and feedback for `password`, computed off the event loop. */
export function strengthOffThread(password: string, inputs: string[]): Promise<Strength> {
  worker ??= start();
  if (idle) {
    clearTimeout(idle);
    idle = null;
  }
  const id = nextId++;
  const w = worker;
  if (pending.size === 0) w.ref();
  return new Promise<Strength>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, password, inputs });
  });
}

/** Whether the worker is running (tests). */
export function strengthWorkerRunning(): boolean {
  return worker !== null;
}

/** How long an idle worker lives on (tests; the default is 10 s). */
export function setStrengthIdleMs(ms: number): void {
  idleMs = ms;
}

/** Ends the worker now (tests; a process never needs to: an idle worker is unref'd). */
export async function stopStrengthWorker(): Promise<void> {
  if (idle) clearTimeout(idle);
  idle = null;
  const w = worker;
  worker = null;
  if (w) await w.terminate();
}
