/**
 * A usage charge's ledger metadata, spliced from the usage row's own JSON (usageMetadataText), is
 * the exact text of the merged object it stands for: the row's hash covers that text, so a
 * character out of place would make every later hash of the account fail verification.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { usageMetadataText, usageRowMetadata, usageText } from './ledger-rows.js';
import type { UsageInput } from './types.js';

const key = fc.oneof(
  fc.string(),
  fc.constantFrom('operation', 'unit', 'quantity', 'durationSeconds', 'toJSON', '__proto__', '0', '7', '01', '-1', '1e3', 'to', 'length'),
);
const metadata = fc.option(fc.dictionary(key, fc.oneof(fc.jsonValue(), fc.constant(undefined))), { nil: null });
const usage = fc.record({
  operation: fc.oneof(fc.string(), fc.constantFrom('message', 'call', 'file_upload')),
  unit: fc.oneof(fc.string(), fc.constantFrom('per_minute', 'per_call', 'per_message')),
  quantityMilli: fc.integer({ min: -1e9, max: 1e12 }),
  ruleId: fc.constant(null),
  ruleCreditsMc: fc.constant(0),
  costMc: fc.constant(0),
  metadata,
});

describe('a usage charge’s ledger metadata', () => {
  it('is the merged object’s JSON, whatever the usage record’s metadata holds', () => {
    fc.assert(
      fc.property(usage, fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: null }), (u: UsageInput, given) => {
        const expected = JSON.stringify(usageRowMetadata({ ...u }, given));
        expect(usageMetadataText(u, given)).toBe(expected);
        expect(usageText(u)).toBe(u.metadata ? JSON.stringify(u.metadata) : null);
      }),
      { numRuns: 2000 },
    );
  });

  it('falls back to the merged object for metadata that is not a plain object, and for lone surrogates stays exact', () => {
    class Meta {
      to = 'x';
      toJSON() {
        return { replaced: true };
      }
    }
    const base = { operation: 'message', unit: 'per_message', quantityMilli: 1000, ruleId: null, ruleCreditsMc: 0, costMc: 0 };
    const odd = { ...base, metadata: new Meta() as unknown as Record<string, unknown> };
    expect(usageMetadataText(odd, null)).toBe(JSON.stringify(usageRowMetadata({ ...odd }, null)));
    const bare = { ...base, metadata: Object.assign(Object.create(null), { b: 1, a: '\ud800' }) };
    expect(usageMetadataText(bare, null)).toBe(JSON.stringify(usageRowMetadata({ ...bare }, null)));
    expect(usageMetadataText({ ...base, unit: 'per_minute', quantityMilli: 61_000, metadata: { callId: 'c' } }, null)).toBe(
      '{"operation":"message","unit":"per_minute","quantity":61,"durationSeconds":61,"callId":"c"}',
    );
  });
});
