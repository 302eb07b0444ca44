/**
 * Validation errors as sentences a person understands. Every schema check of the
 * contract says what is wrong as a phrase ("must be at least 8 characters"): the checks'
 * own messages are written that way, and `phraseIssue` (installed as zod's global error
 * map by common.ts) words the built-in ones. `describeIssues` puts the field's name in
 * words in front ("Password must be at least 8 characters") and keeps the field's path.
 */
import type { $ZodRawIssue } from 'zod/v4/core';

type RawIssue = $ZodRawIssue;

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
  date: 'a date',
  null: 'null',
};

const FORMAT_WORDS: Record<string, string> = {
  email: 'must be a valid email address',
  url: 'must be a valid URL',
  uuid: 'must be a UUID',
  datetime: 'must be an ISO-8601 date-time',
  date: 'must be an ISO-8601 date',
  regex: 'is not in the expected format',
};

function plural(n: number | bigint, word: string): string {
  return `${n} ${word}${Number(n) === 1 ? '' : 's'}`;
}

function showValue(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : String(v);
}

/** A built-in zod issue as a phrase that follows the field's name. */
export function phraseIssue(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'is required';
      const expected = String(iss.expected);
      return `must be ${TYPE_WORDS[expected] ?? expected}`;
    }
    case 'too_small': {
      const min = iss.minimum as number;
      if (iss.origin === 'string') {
        if (iss.exact) return `must be exactly ${plural(min, 'character')}`;
        return Number(min) <= 1 ? 'is required' : `must be at least ${plural(min, 'character')}`;
      }
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at least ${plural(min, 'item')}`;
      return iss.inclusive === false ? `must be greater than ${min}` : `must be at least ${min}`;
    }
    case 'too_big': {
      const max = iss.maximum as number;
      if (iss.origin === 'string')
        return iss.exact ? `must be exactly ${plural(max, 'character')}` : `must be at most ${plural(max, 'character')}`;
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at most ${plural(max, 'item')}`;
      if (iss.origin === 'file') return `must be at most ${max} bytes`;
      return iss.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case 'invalid_format':
      return FORMAT_WORDS[String(iss.format)] ?? `must be a valid ${String(iss.format).replace(/_/g, ' ')}`;
    case 'invalid_value': {
      const values = (iss.values as unknown[]).map(showValue);
      return values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    case 'unrecognized_keys':
      return 'is not allowed here';
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
      return 'is not valid';
    case 'custom':
      return 'is not valid';
    default:
      return undefined;
  }
}

/**
 * The names of fields in words, by path inside the request part (`autoRecharge.packageId`),
 * by request part and path (`querystring.to`), or by the field's own name. Anything else
 * is its name with the camelCase split.
 */
const FIELD_LABELS: Record<string, string> = {
  'querystring.from': 'Start date',
  'querystring.to': 'End date',
  'params.id': 'The id in the URL',
  'autoRecharge.enabled': 'Auto-recharge',
  'autoRecharge.thresholdCredits': 'Auto-recharge threshold',
  'autoRecharge.packageId': 'Auto-recharge package',
  email: 'Email',
  password: 'Password',
  name: 'Name',
  to: 'Recipient',
  body: 'Message',
  phoneNumber: 'Phone number',
  assistantId: 'Assistant id',
  maxDurationSeconds: 'Maximum duration',
  durationSeconds: 'Duration',
  packageId: 'Package',
  amount: 'Amount',
  amountCents: 'Amount',
  reason: 'Reason',
  role: 'Role',
  operation: 'Operation',
  unit: 'Unit',
  quantity: 'Quantity',
  credits: 'Credits',
  bonusCredits: 'Bonus credits',
  priceCents: 'Price',
  creditsExpireInDays: 'Credits expire after',
  bonusExpireInDays: 'Bonus expires after',
  expiresAt: 'Expires at',
  lowBalanceThreshold: 'Low-balance threshold',
  autoRecharge: 'Auto-recharge',
  userId: 'User id',
  idempotencyKey: 'Idempotency key',
  token: 'Setup token',
  file: 'File',
};

const PART_LABELS: Record<string, string> = {
  body: 'The request body',
  querystring: 'The query string',
  params: 'The URL',
  headers: 'The headers',
};

function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The name of the field at `path` (inside request part `part`) in words. */
export function fieldLabel(part: string, path: readonly (string | number)[]): string {
  if (path.length === 0) return PART_LABELS[part] ?? 'The request';
  const dotted = path.join('.');
  const last = String(path.at(-1));
  const direct = FIELD_LABELS[`${part}.${dotted}`] ?? FIELD_LABELS[dotted];
  if (direct) return direct;
  if (typeof path.at(-1) === 'number') {
    return `${fieldLabel(part, path.slice(0, -1))}, item ${Number(last) + 1},`;
  }
  return FIELD_LABELS[last] ?? humanize(last);
}

/** One bad field of a request, as `details.fields` lists it. */
export interface FieldError {
  /** Request part and path: `body.password`, `querystring.limit`. */
  path: string;
  /** Path inside the part (`password`, `autoRecharge.packageId`), what a form names its field by. */
  field: string;
  /** A sentence naming the field: "Password must be at least 8 characters". */
  message: string;
}

export interface IssueLike {
  code?: string;
  path: readonly (string | number)[];
  message: string;
  keys?: readonly string[];
}

/** The issues of one request part as field errors and the message the API answers with. */
export function describeIssues(parts: { part: string; issues: readonly IssueLike[] }[]): { message: string; fields: FieldError[] } {
  const fields: FieldError[] = [];
  const seen = new Set<string>();
  const add = (part: string, path: readonly (string | number)[], phrase: string) =>
    addSentence(part, path, `${fieldLabel(part, path)} ${phrase}`);
  const addSentence = (part: string, path: readonly (string | number)[], message: string) => {
    const full = [part, ...path].join('.');
    if (seen.has(`${full}\n${message}`)) return;
    seen.add(`${full}\n${message}`);
    fields.push({ path: full, field: path.join('.'), message });
  };
  for (const { part, issues } of parts) {
    // A value of the wrong type gets that sentence alone: zod still checks the length of anything
    // that has one, so a text given for a list was also "at most 12 characters".
    const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => i.path.join('\n')));
    for (const issue of issues) {
      if (issue.code !== 'invalid_type' && wrongType.has(issue.path.join('\n'))) continue;
      if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
        for (const key of issue.keys) {
          const path = [...issue.path, key];
          addSentence(part, path, `The field "${path.join('.')}" ${issue.message}`);
        }
      } else {
        add(part, issue.path, issue.message);
      }
    }
  }
  const message = fields.length === 0 ? 'The request is not valid.' : fields.map((f) => `${f.message}.`).join(' ');
  return { message, fields };
}
