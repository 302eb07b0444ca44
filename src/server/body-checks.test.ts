/**
 * The hand-written body checks (body-checks.ts) answer what zod's compiled schema answers,
 * value and issues alike (keyword, paths, message, parameters, the error mark), on generated
 * bodies: any JSON, and objects whose fields are near the limits, of the wrong type, or hold
 * control, line-break and bidirectional characters.
 */
import fc from 'fast-check';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { messageBody } from '../contracts/platform.js';
import { bodyCheckCompiler, checkMessageBody } from './body-checks.js';

const ZOD_ERROR = Symbol.for('ZodFastifySchemaValidationError');
const zod = validatorCompiler({ schema: messageBody, method: 'POST', url: '/api/messages', httpPart: 'body' } as never) as (
  d: unknown,
) => unknown;

/** The answer with each issue's error mark made a plain field, so the comparison sees it. */
function plain(result: unknown): unknown {
  const r = result as { value?: unknown; error?: Record<string | symbol, unknown>[] };
  if (!r.error) return { value: r.value };
  return { error: r.error.map((e) => ({ ...e, mark: e[ZOD_ERROR] })) };
}

/** The answer, or what was thrown (a \`length\` that cannot be compared throws in both: the server answers 500). */
function outcome(check: (body: unknown) => unknown, body: unknown): unknown {
  try {
    return plain(check(body));
  } catch (err) {
    return { threw: String(err) };
  }
}

const same = (body: unknown) => expect(outcome(checkMessageBody, body)).toEqual(outcome(zod, body));

// Characters that matter to the checks: controls (C0, DEL, C1), tab, line breaks, the bidi
// overrides and isolates and their neighbours, astral characters (two UTF-16 units), plain text.
const special = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\u000c',
  '\u001f',
  ' ',
  '~',
  '\u007f',
  '\u0080',
  '\u009f',
  '\u00a0',
  '\u2029',
  '\u202a',
  '\u202e',
  '\u202f',
  '\u2065',
  '\u2066',
  '\u2069',
  '\u206a',
  '😀',
  'é',
  'a',
);
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.array(special, { maxLength: 8 }).map((a) => a.join('')),
  fc
    .tuple(fc.constantFrom(0, 1, 2, 319, 320, 321, 9_999, 10_000, 10_001), special)
    .map(([n, c]) => 'x'.repeat(Math.max(0, n - 1)) + (n > 0 ? c : '')),
  fc.constantFrom(0, 1, 319, 320, 321, 9_999, 10_000, 10_001).map((n) => 'y'.repeat(n)),
  fc.constantFrom(159, 160, 161, 319, 320, 321, 4_999, 5_000, 5_001, 9_999, 10_000, 10_001).map((n) => '😀'.repeat(n)),
  fc.constantFrom(320, 321, 10_000, 10_001).map((n) => '\ud83d'.repeat(n)),
  fc.constantFrom(319, 320, 9_999, 10_000).map((n) => 'z'.repeat(n) + '😀'),
);
const field = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  // Things with a length that are not text: lists (empty, long) and objects with a \`length\` key.
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 320, 321, 10_000, 10_001).map((n) => new Array(n).fill(0)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).map((length) => ({ length })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, 1, 320, 321, 10_001, -1, '5', '', '400', null, true, [], [500]).map((length) => ({ length })),
  },
);

describe('checkMessageBody', () => {
  it('answers as zod does on bodies with generated fields', () => {
    fc.assert(
      fc.property(
        field,
        field,
        fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })),
        (to, body, extra) => {
          const b: Record<string, unknown> = { ...(extra ?? {}) };
          if (to !== undefined) b.to = to;
          if (body !== undefined) b.body = body;
          same(b);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('answers as zod does on any JSON body, and on no body', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
        same(v);
      }),
      { numRuns: 2_000 },
    );
    for (const v of [undefined, null, [], [1], '', 'x', 0, true, {}, { to: null }, { body: [] }]) same(v);
  });

  it('answers as zod does at the limits', () => {
    for (const to of ['', 'a', 'a'.repeat(320), 'a'.repeat(321), 'a\n', 'a\t', '\u202e', 'a\u0000'.repeat(200)]) {
      for (const body of ['', 'b', 'b'.repeat(10_000), 'b'.repeat(10_001), 'l\r\n\tx', '\u000b', '\u2066x', '\u0085'.repeat(10_001)]) {
        same({ to, body });
      }
    }
  });

  it('is the check the server compiles for the route’s body, and zod’s for any other schema', () => {
    const route = { schema: messageBody, method: 'POST', url: '/api/messages', httpPart: 'body' } as never;
    expect(bodyCheckCompiler(route)).toBe(checkMessageBody);
    const other = bodyCheckCompiler({ schema: messageBody.partial(), method: 'POST', url: '/x', httpPart: 'body' } as never);
    expect(other).not.toBe(checkMessageBody);
  });
});
