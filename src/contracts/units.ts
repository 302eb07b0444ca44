/**
 * The metering units in words, for the OpenAPI document: what a `quantity` counts for
 * each unit, and how many of it make one priced unit. Generated from UNITS (money.ts), so
 * the table cannot drift from what is charged.
 */
import { UNITS, type Unit } from './money.js';

const BASE: Partial<Record<Unit, { base: string; perUnit: string }>> = {
  per_minute: { base: 'seconds', perUnit: '60' },
  per_mb: { base: 'bytes', perUnit: '1,048,576' },
  per_1k_tokens: { base: 'tokens', perUnit: '1000' },
};

/** What `quantity` counts for `unit`: seconds, bytes, tokens or a count. */
export function baseQuantity(unit: Unit): string {
  return BASE[unit]?.base ?? 'count';
}

/** The units table (Markdown), from UNITS. */
export function unitsTable(): string {
  const counted = (Object.keys(UNITS) as Unit[]).filter((u) => !BASE[u]);
  const rows = [
    `| ${counted.map((u) => `\`${u}\``).join(', ')} | count | 1 |`,
    ...(Object.keys(BASE) as Unit[]).map((u) => `| \`${u}\` | ${BASE[u]?.base} | ${BASE[u]?.perUnit} |`),
  ];
  return ['| unit | `quantity` is in | base quantities per priced unit |', '|---|---|---|', ...rows].join('\n');
}

/** The description every `quantity` field carries. */
export const QUANTITY_DESCRIPTION =
  'The base quantity of the unit, not a count of units: SECONDS for per_minute (a 90.5 s call is 90.5, not 1.5), ' +
  'BYTES for per_mb (1.5 MB is 1572864), TOKENS for per_1k_tokens (2,500 tokens is 2500, not 2.5), a count for every other unit. ' +
  'A non-negative number with at most 3 decimals; cost = ceil(credits per unit x quantity / base quantities per unit), in whole millicredits.';

/** The description of the document: conventions and the units table. */
export function apiDescription(): string {
  return [
    'Credits are numbers with at most 3 decimals (exact integers of millicredits inside; 1 credit = 1000 mc). Money is integer cents (`priceCents`, `amountCents`) with a `currency`.',
    '',
    'Errors are `{"error":{"code","message","details?"}}`; a 400 `validation_error` has one sentence per bad field in `message` and the fields in `details.fields` (`path`, `field`, `message`). Every POST that moves credits or money takes an `Idempotency-Key` header: the same key and body replay the first answer and move nothing again.',
    '',
    '## Metering units',
    '',
    'A pricing rule is (operation, unit) -> credits per unit. A `quantity` (in `POST /api/usage`, `POST /api/credits/estimate`, usage reports) is always in the unit’s **base quantity**, never in units: a backend that reports a 2-minute call as `2` instead of `120` is charged 60 times too little.',
    '',
    unitsTable(),
    '',
    'cost = ceil(credits per unit x quantity / base quantities per unit), rounded up to a whole millicredit and computed exactly: 90.5 s at 0.50 per minute is ceil(500 x 90.5 / 60) = 755 mc = 0.755 credits.',
  ].join('\n');
}

const UNIT_WORDS: Partial<Record<string, string>> = {
  per_mb: 'per MB',
  per_1k_tokens: 'per 1,000 tokens',
};

/** A unit as a person reads it: `per_mb` -> "per MB", `per_minute` -> "per minute". */
export function unitInWords(unit: string): string {
  return UNIT_WORDS[unit] ?? unit.replace(/_/g, ' ');
}

const OPERATION_NAMES: Partial<Record<string, string>> = {
  vapi_call: 'Voice call',
  message: 'Message',
  file_upload: 'File upload',
  workflow: 'Workflow',
  ai_interview: 'AI interview',
  llm_tokens: 'Language model tokens',
  sms: 'SMS',
  email: 'Email',
};

/**
 * The one name of an operation, wherever a person reads it (the dashboard, the seed's
 * pricing rules and so the ledger's descriptions): "Message", never also "Text processing".
 * An operation without a name here reads as its key in words (`resume_parse` -> "Resume parse").
 */
export function operationName(operation: string): string {
  const known = OPERATION_NAMES[operation];
  if (known) return known;
  const t = operation.replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}
