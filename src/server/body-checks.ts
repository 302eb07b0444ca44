/**
 * Hand-written checks of a request body in place of its zod schema, on the metered route
 * every charge goes through (issue 21, goal 2: zod's parse of `POST /api/messages` cost about
 * 6,000 instructions and 1.1 KB of garbage a request; bench/analysis.md). Each check answers
 * exactly what fastify-type-provider-zod's `validatorCompiler` answers for its schema: the
 * same value (a new object of the schema's keys), and for a bad body the same issues in the
 * same order, with the same keyword, paths, message and parameters, so the 400 answer
 * (http-errors.ts `answerError`) is the same byte for byte. src/server/body-checks.test.ts
 * compares the two on generated bodies. A schema without a check here is compiled by zod.
 */
import { validatorCompiler } from 'fastify-type-provider-zod';
import { MESSAGE_BODY_MAX, MESSAGE_TO_MAX, messageBody } from '../contracts/platform.js';
import { textProblem } from '../contracts/text.js';
import { phraseIssue } from '../contracts/validation.js';

type Check = (data: unknown) => { value: unknown } | { error: unknown[] };

/** fastify-type-provider-zod's mark of its validation errors (errors.ts). */
const ZOD_ERROR = Symbol.for('ZodFastifySchemaValidationError');

/** One issue as fastify-type-provider-zod's `createValidationError` makes it of zod's. */
function issue(key: string | null, code: string, params: Record<string, unknown>, message: string) {
  const path = key === null ? '' : key;
  return { [ZOD_ERROR]: true, keyword: code, instancePath: `/${path}`, schemaPath: `#/${path}/${code}`, message, params };
}

/** zod's message for a built-in issue: the global error map common.ts installs. */
function phrase(raw: Record<string, unknown>): string {
  return phraseIssue(raw as unknown as Parameters<typeof phraseIssue>[0]) ?? 'Invalid input';
}

/**
 * The length zod's string checks measure (this zod's checks.ts): Unicode code points, a
 * surrogate pair counting once and a lone surrogate once; counted only when the UTF-16 length
 * alone does not settle it (a code point is one or two units).
 */
function length(s: string, limit: number): number {
  const units = s.length;
  if (units <= limit) return units;
  let count = units;
  for (let i = 0; i < units - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

/**
 * `freeText({ min, max, multiline, trim: false })` (contracts/common.ts) at `key`: not text,
 * or its checks in zod's order (the free-text refinement, then min, then max, each run).
 */
function freeTextIssues(value: unknown, key: string, min: number, max: number, multiline: boolean, out: unknown[]): void {
  if (typeof value !== 'string') {
    out.push(issue(key, 'invalid_type', { expected: 'string' }, phrase({ code: 'invalid_type', expected: 'string', input: value })));
    // zod still runs the length checks on anything that has a length (a list, an object with
    // a `length` key), compared as it compares them (JavaScript's >= and <=); not the refinement.
    const len = value === null || value === undefined ? undefined : (value as { length?: unknown }).length;
    if (len !== undefined) {
      const origin = Array.isArray(value) ? 'array' : 'unknown';
      if (!((len as number) >= min)) {
        const params = { origin, minimum: min, inclusive: true };
        out.push(issue(key, 'too_small', params, phrase({ code: 'too_small', ...params })));
      }
      if (!((len as number) <= max)) {
        const params = { origin, maximum: max, inclusive: true };
        out.push(issue(key, 'too_big', params, phrase({ code: 'too_big', ...params })));
      }
    }
    return;
  }
  const problem = textProblem(value, { multiline });
  if (problem) out.push(issue(key, 'custom', {}, problem));
  // A string of at least `min` (here at most 1) units has at least `min` code points.
  if (value.length < min) {
    const params = { origin: 'string', minimum: min, inclusive: true };
    out.push(issue(key, 'too_small', params, phrase({ code: 'too_small', ...params })));
  }
  if (length(value, max) > max) {
    const params = { origin: 'string', maximum: max, inclusive: true };
    out.push(issue(key, 'too_big', params, phrase({ code: 'too_big', ...params })));
  }
}

/** `messageBody` (contracts/platform.ts): `{ to: freeText 1..MESSAGE_TO_MAX, body: freeText 1..MESSAGE_BODY_MAX multiline }`. */
export const checkMessageBody: Check = (data) => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return {
      error: [issue(null, 'invalid_type', { expected: 'object' }, phrase({ code: 'invalid_type', expected: 'object', input: data }))],
    };
  }
  const { to, body } = data as { to?: unknown; body?: unknown };
  if (
    typeof to === 'string' &&
    typeof body === 'string' &&
    to.length >= 1 &&
    length(to, MESSAGE_TO_MAX) <= MESSAGE_TO_MAX &&
    body.length >= 1 &&
    length(body, MESSAGE_BODY_MAX) <= MESSAGE_BODY_MAX
  ) {
    if (textProblem(to, { multiline: false }) === null && textProblem(body, { multiline: true }) === null) return { value: { to, body } };
  }
  const error: unknown[] = [];
  freeTextIssues(to, 'to', 1, MESSAGE_TO_MAX, false, error);
  freeTextIssues(body, 'body', 1, MESSAGE_BODY_MAX, true, error);
  return error.length === 0 ? { value: { to, body } } : { error };
};

const HAND_WRITTEN = new Map<unknown, Check>([[messageBody, checkMessageBody]]);

/** The server's validator compiler: a hand-written check where there is one, zod's otherwise. */
export const bodyCheckCompiler: typeof validatorCompiler = (route) =>
  (HAND_WRITTEN.get(route.schema) ?? validatorCompiler(route)) as ReturnType<typeof validatorCompiler>;
