/**
 * The row hash: keyed, and unambiguous (no separator a text can hold, null distinct from
 * ''), where the release before's hash was neither.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, type HashedFields, LedgerKey, encodeRow, hashRow, legacyHashRow } from './hash.js';

const key = new LedgerKey('k'.repeat(32));
const row: HashedFields = {
  id: 'tx-1',
  user_id: 'user-1',
  seq: 1,
  type: 'adjustment',
  amount_mc: 5000,
  reserved_change_mc: 0,
  balance_after_mc: 5000,
  reserved_after_mc: 0,
  description: 'Goodwill\u001f{"ticket":7}',
  metadata: '{"by":"ops"}',
  reference_type: null,
  reference_id: null,
  idempotency_key: null,
  created_at: 1_800_000_000_000,
};

describe('the ledger row hash', () => {
  // The vector was computed apart from this code: openssl dgst -sha256 -hmac <key> over the encoding.
  it('is an HMAC-SHA256 under the key, of a fixed encoding (a pinned vector)', () => {
    expect(encodeRow(GENESIS_HASH, row)).toBe(
      `credits-ledger-row/2\ns64:${GENESIS_HASH}s4:tx-1s6:user-1i1;s10:adjustmenti5000;i0;i5000;i0;s21:Goodwill\u001f{"ticket":7}s12:{"by":"ops"}nnni1800000000000;`,
    );
    expect(hashRow(key, GENESIS_HASH, row)).toBe('98a42495e64ada01c97b36969db8dc565db4d4007a5cc04cd231722eec96140b');
  });

  it('covers a member only when set, as a last field (a row without one keeps the hash it had)', () => {
    expect(encodeRow(GENESIS_HASH, { ...row, member_id: 'm-1' })).toBe(`${encodeRow(GENESIS_HASH, row)}s3:m-1`);
    expect(encodeRow(GENESIS_HASH, { ...row, member_id: null })).toBe(encodeRow(GENESIS_HASH, row));
    expect(() => encodeRow(GENESIS_HASH, { ...row, amount_mc: 0.5 })).toThrow(/not a safe integer/);
  });

  it('needs the key: another key gives another hash, and plain SHA-256 is not it', () => {
    expect(hashRow(new LedgerKey('j'.repeat(32)), GENESIS_HASH, row)).not.toBe(hashRow(key, GENESIS_HASH, row));
    expect(legacyHashRow(GENESIS_HASH, row)).not.toBe(hashRow(key, GENESIS_HASH, row));
    expect(() => new LedgerKey('short')).toThrow(/32 bytes/);
  });

  it('tells null from the empty string', () => {
    const empty = { ...row, reference_type: '' };
    expect(legacyHashRow(GENESIS_HASH, empty)).toBe(legacyHashRow(GENESIS_HASH, row));
    expect(hashRow(key, GENESIS_HASH, empty)).not.toBe(hashRow(key, GENESIS_HASH, row));
  });

  it('has no separator: text moved across a field boundary changes the hash', () => {
    // The old join could not tell "a␟b" + "c" from "a" + "b␟c".
    const shifted = { ...row, description: 'Goodwill', metadata: '{"ticket":7}\u001f{"by":"ops"}' };
    expect(legacyHashRow(GENESIS_HASH, shifted)).toBe(legacyHashRow(GENESIS_HASH, row));
    expect(hashRow(key, GENESIS_HASH, shifted)).not.toBe(hashRow(key, GENESIS_HASH, row));
    // Lengths count UTF-8 bytes, so multi-byte text cannot fake a boundary either.
    const accented = { ...row, description: 'Geste commercial — déjà vu' };
    expect(encodeRow(GENESIS_HASH, accented)).toContain(`s${Buffer.byteLength(accented.description)}:Geste`);
  });

  // LedgerKey computes HMAC from RFC 2104 with prepared pads: it must be OpenSSL's HMAC for every
  // key length (shorter than a block, a block, longer: hashed first) and every text, lone
  // surrogates and texts longer than its reused buffer included.
  it('is createHmac, for any key and any text', () => {
    const keys = [32, 63, 64, 65, 200].map((n) => randomBytes(n));
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
      fc.string({ unit: 'binary-ascii', minLength: 1000, maxLength: 30_000 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...keys), text, (k, t) => {
        expect(new LedgerKey(k).mac(t)).toBe(createHmac('sha256', k).update(t, 'utf8').digest('hex'));
      }),
      { numRuns: 400 },
    );
    // One key across many texts: the reused buffer grows, and a large one-off text does not spoil it.
    const one = new LedgerKey(keys[4] as Buffer);
    for (const t of ['a', 'é'.repeat(5000), '€'.repeat(5000), '😀'.repeat(40_000), '\ud800x', 'b'.repeat(3000), '']) {
      expect(one.mac(t)).toBe(
        createHmac('sha256', keys[4] as Buffer)
          .update(t, 'utf8')
          .digest('hex'),
      );
    }
    expect(key.check).toBe(createHmac('sha256', 'k'.repeat(32)).update('credits ledger key check').digest('hex'));
  });
});
