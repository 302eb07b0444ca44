/**
 * Shared pieces of the HTTP contract (shared/API.md): amounts, quantities, pages and
 * the error shape. Credits cross the edge as decimal numbers and become integer
 * millicredits here, at validation time; nothing past the edge sees a decimal.
 */
import { z } from 'zod';
import { textProblem } from './text.js';

export { textProblem };
import { MAX_MC, creditsToMc, parseThousandths } from './money.js';
import { QUANTITY_DESCRIPTION } from './units.js';
import { phraseIssue } from './validation.js';

// Every built-in check words its failure as a phrase that follows the field's name
// ("must be at least 8 characters"); the checks' own messages below are written the same way.
z.config({ customError: phraseIssue });

export const errorCodeSchema = z.enum([
  'validation_error',
  'unauthorized',
  'insufficient_credits',
  'member_limit_exceeded',
  'forbidden',
  'not_found',
  'idempotency_conflict',
  'conflict',
  'already_redeemed',
  'promo_unavailable',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'email_not_verified',
  'email_unavailable',
  'payments_unavailable',
  'overloaded',
  'database_unavailable',
  'bad_gateway',
  'internal_error',
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const errorSchema = z
  .object({
    error: z.object({
      code: errorCodeSchema,
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** An amount of credits (at most 3 decimals, within 1e9) -> millicredits; `range` says the field's bounds in its message. */
const creditsWithin = (range: string) =>
  z
    .number()
    .refine((n) => creditsToMc(n) !== null, { message: `must be a number of credits with at most 3 decimals, ${range}` })
    .transform((n) => creditsToMc(n) as number);

/** A signed amount of credits (at most 3 decimals, within 1e9) -> millicredits. */
export const creditsInput = creditsWithin('between -1,000,000,000 and 1,000,000,000');

/** A positive amount of credits -> millicredits (a field that takes no negative does not say -1,000,000,000). */
export const positiveCreditsInput = creditsWithin('up to 1,000,000,000').refine((mc) => mc > 0, { message: 'must be greater than 0' });

/** A non-negative amount of credits -> millicredits. */
export const nonNegativeCreditsInput = creditsWithin('from 0 to 1,000,000,000').refine((mc) => mc >= 0, {
  message: 'must not be negative',
});

/** A non-negative base quantity with at most 3 decimals -> thousandths. */
export const quantityInput = z
  .number()
  .refine(
    (n) => {
      const q = parseThousandths(n);
      return q !== null && q >= 0 && q <= MAX_MC * 1_000_000;
    },
    { message: 'must be a non-negative number with at most 3 decimals' },
  )
  .transform((n) => parseThousandths(n) as number)
  .meta({ description: QUANTITY_DESCRIPTION });

/** A quantity as the API answers it: in the unit's base quantity. */
export const quantityOutput = z.number().meta({ description: QUANTITY_DESCRIPTION });

/** Credits as the contract answers them. */
export const credits = z.number().meta({ description: 'Credits, at most 3 decimals' });

export const operationName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, 'must be lower-case letters, digits and _');

export const paginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe('Opaque: the `nextCursor` of the page before, from the same list. Any other value is 400.'),
});

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A date-time without a zone is read as UTC. */
const parseIso = (s: string) => Date.parse(/T|\s/.test(s) && !/Z|[+-]\d{2}:?\d{2}$/.test(s) ? `${s}Z` : s);

/** The date's day exists: `Date.parse` rolls 2026-02-30 over to 2 March, which no one meant. */
function realDay(s: string): boolean {
  const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))];
  const day = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads the years 0 to 99 as 1900 to 1999.
  day.setUTCFullYear(y, m - 1, d);
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

const isoText = z
  .string()
  .max(40)
  .refine((s) => ISO_DATE.test(s) && !Number.isNaN(Date.parse(s)) && realDay(s), { message: 'must be an ISO-8601 date or date-time' });

/** An ISO-8601 date (UTC midnight) or date-time, as Unix ms. */
export const isoDate = isoText.transform(parseIso);

/**
 * The exclusive end of a range as Unix ms: a date-time as given, a date-only value the start
 * of the next UTC day, so that `from=2026-12-01&to=2026-12-01` is all of 1 December.
 */
export const isoDateEnd = isoText.transform((s) => parseIso(s) + (DATE_ONLY.test(s) ? DAY_MS : 0));

/** An ISO-8601 date or date-time as Unix ms (a date: its UTC midnight), and whether it was a date alone. */
export const isoMoment = isoText.transform((s) => ({ at: parseIso(s), dateOnly: DATE_ONLY.test(s) }));

/** `?from=&to=` of every route with a time range: `from` inclusive, `to` exclusive, UTC. */
export const dateRangeQuery = {
  from: isoDate.optional().meta({
    description:
      'Start, inclusive: an ISO-8601 date (UTC midnight) or date-time (UTC when no zone is given). At or after `to` (a date-only `to` being the end of its day): 400.',
  }),
  to: isoDateEnd.optional().meta({
    description:
      'End, exclusive: an ISO-8601 date-time, or a date, which includes that whole day (from=2026-12-01&to=2026-12-01 is all of 1 December UTC).',
  }),
};

/** A text that may be null, with what it is (and what null means). */
export const nullableText = (description: string) => z.string().nullable().meta({ description });

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const idParam = z.object({ id: z.string().min(1).max(100) });

/**
 * Free text a person typed (names, recipients, reasons, descriptions): `min` to `max`
 * characters, no control characters (line breaks and tabs only when `multiline`), no
 * bidirectional override characters and no lone surrogates. Trimmed unless `trim: false`.
 */
export function freeText(opts: { max: number; min?: number; multiline?: boolean; trim?: boolean }) {
  // Checked before trimming: a trailing line break is refused too, not quietly dropped.
  let s = z.string().superRefine((value, ctx) => {
    const problem = textProblem(value, { multiline: opts.multiline ?? false });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
  if (opts.trim !== false) s = s.trim();
  if (opts.min !== undefined) s = s.min(opts.min);
  return s.max(opts.max);
}
