/** The dashboard's number, name and duration formats (shared/UI.md, and one name per operation). */
import { afterEach, describe, expect, it } from 'vitest';
import { operationName, unitInWords } from '../../src/contracts/units.js';
import { localDaysQuery } from '../../src/web/lib/date-range.js';
import { formatCredits, formatCreditsPlain, formatDuration, formatSignedCredits, quantityText } from '../../src/web/lib/format.js';

describe('credits as people read them', () => {
  it('groups digits, keeps up to 3 decimals and drops trailing zeros', () => {
    expect(formatCredits(1807.045)).toBe('1,807.045');
    expect(formatCredits(5000)).toBe('5,000');
    expect(formatCredits(549.9)).toBe('549.9');
    expect(formatCredits(0.375)).toBe('0.375');
    expect(formatCredits(-1234.5)).toBe('-1,234.5');
    expect(formatCredits(-0.0001)).toBe('0');
    expect(formatSignedCredits(1500)).toBe('+1,500');
  });
  it('leaves the header balance a bare number, as shared/UI.md fixes it', () => {
    expect(formatCreditsPlain(5000)).toBe('5000');
    expect(formatCreditsPlain(549.9)).toBe('549.9');
  });
});

describe('names and lengths', () => {
  it('gives each operation one name and each unit words', () => {
    expect(operationName('message')).toBe('Message');
    expect(operationName('workflow')).toBe('Workflow');
    expect(operationName('vapi_call')).toBe('Voice call');
    expect(operationName('resume_parse')).toBe('Resume parse');
    expect(unitInWords('per_mb')).toBe('per MB');
    expect(unitInWords('per_minute')).toBe('per minute');
    expect(unitInWords('per_1k_tokens')).toBe('per 1,000 tokens');
  });
  it('says a call length in minutes and seconds', () => {
    expect(formatDuration(695)).toBe('11 min 35 s');
    expect(formatDuration(42.5)).toBe('42.5 s');
    expect(formatDuration(3600)).toBe('60 min');
    expect(formatDuration(0)).toBe('0 s');
  });
});

describe('what a usage row paid for', () => {
  it('reads a quantity in its unit’s base quantity, not as a count of units', () => {
    expect(quantityText(1_572_864, 'per_mb')).toBe('1.5 MB');
    expect(quantityText(2500, 'per_1k_tokens')).toBe('2,500 tokens');
    expect(quantityText(90.5, 'per_minute')).toBe('1 min 30.5 s');
    expect(quantityText(3, 'per_message')).toBe('3 × per message');
  });
});

describe('the history’s days', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    // Unset before: deleted again (assigning undefined would set the string "undefined").
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });
  it('are the viewer’s days: a day starts at its local midnight and To takes its whole day', () => {
    process.env.TZ = 'Pacific/Kiritimati'; // UTC+14
    expect(localDaysQuery('2026-12-07', '2026-12-07')).toEqual({ from: '2026-12-06T10:00:00.000Z', to: '2026-12-07T10:00:00.000Z' });
    process.env.TZ = 'America/Los_Angeles'; // UTC-8 in December
    expect(localDaysQuery('2026-12-31', '')).toEqual({ from: '2026-12-31T08:00:00.000Z' });
    expect(localDaysQuery('', '2026-12-31')).toEqual({ to: '2027-01-01T08:00:00.000Z' });
    expect(localDaysQuery('', '')).toEqual({});
  });
});
