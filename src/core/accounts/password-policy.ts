/**
 * The password policy, for every place a password is set (sign-up, reset, the super
 * admin from the environment, the command line): at least 8 characters (API.md's rule),
 * and, with a minimum score (`PASSWORD_MIN_SCORE`: 3 by default in production, 0 outside
 * it), not easy to guess by zxcvbn-ts (a strength estimator with dictionaries of common
 * passwords, names and words, keyboard patterns, repeats and dates), with the user's own
 * email and name counted as guessable. Score 3 of 4 means about 10^8 guesses or more.
 * Outside production the contract's rule alone holds by default, so a script or a test
 * written against API.md ("at least 8 chars") can sign up with `password123`.
 *
 * The estimator is CPU-bound: building its dictionaries took 400 ms here and each check
 * 80 ms on an idle machine, several times that on a loaded one. On the request path it
 * runs in a worker thread (./password-strength.ts) so a sign-up never stalls the event
 * loop that every metered request shares (a stall of a second made the service shed
 * requests with 503 overloaded in the first-hour browser test). `passwordProblem` keeps
 * the in-thread estimator for the doctor and loads it only when called: importing the
 * packages decompresses their dictionaries, about a fifth of the server's start (a CPU
 * profile of `bench/server.mjs` to ready: 1,090 of 4,549 ms under load).
 */
import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { invalid } from '../errors.js';
import { type Strength, strengthOffThread } from './password-strength.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;
/** The score production asks for by default. */
export const PRODUCTION_PASSWORD_SCORE = 3;

/** A score as PASSWORD_MIN_SCORE gives it (a whole number from 0 to 4), or null if it is not one. */
export function passwordScoreOf(text: string | undefined): number | null {
  return text !== undefined && /^[0-4]$/.test(text.trim()) ? Number(text.trim()) : null;
}

let estimator: ZxcvbnFactory | undefined;

function strengthInThread(password: string, inputs: string[]): Strength {
  // The dictionaries take a moment to load: once, on first use (the packages are CommonJS).
  if (!estimator) {
    const require = createRequire(import.meta.url);
    const core: typeof import('@zxcvbn-ts/core') = require('@zxcvbn-ts/core');
    const common: typeof import('@zxcvbn-ts/language-common') = require('@zxcvbn-ts/language-common');
    const en: typeof import('@zxcvbn-ts/language-en') = require('@zxcvbn-ts/language-en');
    estimator = new core.ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
  }
  const r = estimator.check(password, inputs);
  return { score: r.score, warning: r.feedback.warning, suggestions: r.feedback.suggestions };
}

/** The length rules, checked before the estimator: a sentence, or null. */
function shapeProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password.trim() === '') return 'Password cannot be only spaces.';
  return null;
}

/** What the estimator counts as guessable: each input whole, its email local part, without spaces, and word by word. */
function guessable(userInputs: string[]): string[] {
  return userInputs
    .flatMap((s) => [s, s.split('@')[0] ?? s, s.replace(/\s+/g, ''), ...s.split(/[@.\s_+-]+/)])
    .map((s) => s.toLowerCase())
    .filter((s, i, all) => s.length >= 3 && all.indexOf(s) === i);
}

// The estimator's cost grows with length; past 100 characters the first 100 decide.
const ESTIMATED_LENGTH = 100;

function strengthProblem(r: Strength, score: number): string | null {
  if (r.score >= score) return null;
  const why = r.warning ? ` ${r.warning}` : '';
  const hint = r.suggestions[0] ?? 'Add more words that are less common.';
  return `Password is too easy to guess.${why} ${hint}`;
}

/**
 * Why `password` is refused, as a sentence a person can act on; null when it is acceptable.
 * Runs on the calling thread; `score` is the minimum asked (config.passwordMinScore; production's by default).
 */
export function passwordProblem(password: string, userInputs: string[] = [], score = PRODUCTION_PASSWORD_SCORE): string | null {
  const shape = shapeProblem(password);
  if (shape || score === 0) return shape;
  return strengthProblem(strengthInThread(password.slice(0, ESTIMATED_LENGTH), guessable(userInputs)), score);
}

/** The same answer as `passwordProblem`, with the estimator in a worker thread (not started when no score is asked). */
export async function passwordProblemOffThread(
  password: string,
  userInputs: string[] = [],
  score = PRODUCTION_PASSWORD_SCORE,
): Promise<string | null> {
  const shape = shapeProblem(password);
  if (shape || score === 0) return shape;
  return strengthProblem(await strengthOffThread(password.slice(0, ESTIMATED_LENGTH), guessable(userInputs)), score);
}

/**
 * Rejects with validation_error (the field at `path`) unless the password meets the policy:
 * `score` is the configuration's (config.passwordMinScore), production's when not given.
 */
export async function assertPasswordAllowed(
  password: string,
  userInputs: string[] = [],
  path = 'body.password',
  score = PRODUCTION_PASSWORD_SCORE,
): Promise<void> {
  const problem = await passwordProblemOffThread(password, userInputs, score);
  if (problem) throw invalid(problem, { fields: [{ path, field: path.replace(/^body\./, ''), message: problem }] });
}
