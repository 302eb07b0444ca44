/**
 * The password policy, for every place a password is set (sign-up, reset, the super
 * admin from the environment, the command line): at least 8 characters, and not easy
 * to guess by zxcvbn-ts (a strength estimator with dictionaries of common passwords,
 * names and words, keyboard patterns, repeats and dates), with the user's own email and
 * name counted as guessable. Score 3 of 4 means about 10^8 guesses or more.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { invalid } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;
export const MIN_PASSWORD_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;

function zxcvbn(): ZxcvbnFactory {
  // The dictionaries take a moment to load: once, on first use.
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  return estimator;
}

/** Why `password` is refused, as a sentence a person can act on; null when it is acceptable. */
export function passwordProblem(password: string, userInputs: string[] = []): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password.trim() === '') return 'Password cannot be only spaces.';
  // The estimator's cost grows with length; past 100 characters the first 100 decide.
  // Each input whole, its email local part, without spaces, and word by word.
  const inputs = userInputs
    .flatMap((s) => [s, s.split('@')[0] ?? s, s.replace(/\s+/g, ''), ...s.split(/[@.\s_+-]+/)])
    .map((s) => s.toLowerCase())
    .filter((s, i, all) => s.length >= 3 && all.indexOf(s) === i);
  const r = zxcvbn().check(password.slice(0, 100), inputs);
  if (r.score >= MIN_PASSWORD_SCORE) return null;
  const why = r.feedback.warning ? ` ${r.feedback.warning}` : '';
  const hint = r.feedback.suggestions[0] ?? 'Add more words that are less common.';
  return `Password is too easy to guess.${why} ${hint}`;
}

/** Throws validation_error (the field at `path`) unless the password meets the policy. */
export function assertPasswordAllowed(password: string, userInputs: string[] = [], path = 'body.password'): void {
  const problem = passwordProblem(password, userInputs);
  if (problem) throw invalid(problem, { fields: [{ path, field: path.replace(/^body\./, ''), message: problem }] });
}
