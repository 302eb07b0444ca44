/**
 * The hash of a ledger row: HMAC-SHA256, under a ledger key kept apart from the
 * database, over the previous row's hash and every field that states what happened.
 * Editing, removing or reordering any row breaks every hash after it, and writing a row
 * whose hash holds (a forged one appended, a history rewritten) needs the key.
 *
 * The fields are encoded without ambiguity (`encodeRow`): each text is preceded by its
 * length in bytes, so no character a text field can hold acts as a separator, and null
 * is a tag of its own, not the empty string.
 */
import { hash } from 'node:crypto';
import type { CreditTransactionsTable } from '../../db/schema.js';

/** The chain's start: the prev_hash of an account's first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** What `ledger_state.hash_scheme` says once every chain is hashed with the key. */
export const KEYED_SCHEME = 'hmac-sha256-v2';
/** The release before: plain SHA-256 over the fields joined by U+001F. */
export const LEGACY_SCHEME = 'sha256-v1';

/** The columns of a ledger row its hash covers (src/db/schema/ledger.ts), `member_id` only when set. */
type HashedColumn =
  | 'id'
  | 'user_id'
  | 'seq'
  | 'amount_mc'
  | 'reserved_change_mc'
  | 'balance_after_mc'
  | 'reserved_after_mc'
  | 'description'
  | 'metadata'
  | 'reference_type'
  | 'reference_id'
  | 'idempotency_key'
  | 'created_at';

export interface HashedFields extends Pick<CreditTransactionsTable, HashedColumn> {
  /** Any type's name (a legacy row's too): the hash covers the text. */
  type: string;
  /**
   * The organisation member who caused the row (migration 019). Covered only when set, as a
   * last field: every row written without a member (all rows before organisations, every
   * personal account's) keeps the hash it had, and a member's name cannot be changed or
   * removed from an organisation's row without breaking its chain.
   */
  member_id?: string | null | undefined;
}

/** SHA-256's block: HMAC's pads are one block each (RFC 2104). */
const BLOCK = 64;

/**
 * The ledger key and its check value. HMAC-SHA256 is computed here from its definition
 * (RFC 2104), H((K ^ opad) || H((K ^ ipad) || m)), with the two pads prepared once and
 * the one-shot `crypto.hash`, which keeps the digest it looked up. `createHmac` builds a
 * stream object and looks the digest up in OpenSSL on every call: about 2.2 µs a ledger
 * row against 1.2-1.4 µs here, on every credit movement and on every row `verify` reads
 * (bench/analysis.md, 6 December). hash.test.ts holds it to `createHmac` over any text.
 * The pads stand for the key, held in this process's memory as the `KeyObject` was before.
 */
export class LedgerKey {
  /**
   * HMAC of a fixed label under the key: stored beside the ledger, so a different key is
   * named at start-up and by verify instead of showing as every row edited. It reveals
   * nothing of the key.
   */
  readonly check: string;
  private readonly innerPad: Buffer;
  /** The outer pad, then room for the inner digest. */
  private readonly outer: Buffer;
  /** The inner pad, then the message's UTF-8 (reused: a call runs to its end on one thread). */
  private inner: Buffer;

  constructor(secret: string | Buffer) {
    const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    if (bytes.length < 32) throw new RangeError('The ledger key must be at least 32 bytes.');
    // A key longer than a block is hashed first (RFC 2104, 2); a shorter one is padded with zeros.
    const k = bytes.length > BLOCK ? hash('sha256', bytes, 'buffer') : bytes;
    this.innerPad = Buffer.alloc(BLOCK, 0x36);
    this.outer = Buffer.alloc(BLOCK + 32, 0x5c);
    for (let i = 0; i < k.length; i++) {
      this.innerPad[i] = 0x36 ^ (k[i] as number);
      this.outer[i] = 0x5c ^ (k[i] as number);
    }
    this.inner = this.room(1024);
    this.check = this.mac('credits ledger key check');
  }

  /** A buffer with the inner pad and room for `bytes` of message. */
  private room(bytes: number): Buffer {
    const b = Buffer.allocUnsafeSlow(BLOCK + bytes);
    this.innerPad.copy(b, 0);
    return b;
  }

  /** HMAC-SHA256 of `text` (as UTF-8) under the key, in hex: `createHmac('sha256', key).update(text).digest('hex')`. */
  mac(text: string): string {
    // A UTF-16 code unit is at most three bytes of UTF-8 (a pair, two units, is four).
    const room = text.length * 3;
    let inner = this.inner;
    if (room > inner.length - BLOCK) {
      inner = this.room(room);
      // Kept for the next rows up to 64 KiB; a larger one-off text does not pin its buffer.
      if (room <= 65_536) this.inner = inner;
    }
    const n = inner.write(text, BLOCK, 'utf8');
    // The inner digest as a 'binary' (latin1) string: one character a byte, written back as bytes.
    this.outer.write(hash('sha256', inner.subarray(0, BLOCK + n), 'binary'), BLOCK, 'binary');
    return hash('sha256', this.outer, 'hex');
  }
}

const DOMAIN = 'credits-ledger-row/2\n';

/** The fields a row's hash covers, in their order. */
function fieldsOf(prevHash: string, r: HashedFields): (string | number | null)[] {
  return [
    prevHash,
    r.id,
    r.user_id,
    r.seq,
    r.type,
    r.amount_mc,
    r.reserved_change_mc,
    r.balance_after_mc,
    r.reserved_after_mc,
    r.description,
    r.metadata,
    r.reference_type,
    r.reference_id,
    r.idempotency_key,
    r.created_at,
    ...(r.member_id ? [r.member_id] : []),
  ];
}

/**
 * The text the HMAC covers (hashed as UTF-8): a domain label, then each field in a fixed
 * order as `s<length in UTF-8 bytes>:<text>`, `i<decimal>;` or `n` (null). A reader
 * always knows where a field ends, whatever its text holds, and null is not ''.
 */
export function encodeRow(prevHash: string, r: HashedFields): string {
  let out = DOMAIN;
  for (const f of fieldsOf(prevHash, r)) {
    if (typeof f === 'string') out += `s${Buffer.byteLength(f, 'utf8')}:${f}`;
    else if (typeof f === 'number') {
      if (!Number.isSafeInteger(f)) throw new RangeError(`A ledger field is not a safe integer: ${f}`);
      out += `i${f};`;
    } else out += 'n';
  }
  return out;
}

/** The row's hash under the ledger key. */
export function hashRow(key: LedgerKey, prevHash: string, r: HashedFields): string {
  return key.mac(encodeRow(prevHash, r));
}

/**
 * The release before's hash (plain SHA-256, fields joined by U+001F, null as ''): read
 * only to check the chains it wrote before they are re-hashed with the key.
 */
export function legacyHashRow(prevHash: string, r: HashedFields): string {
  return hash(
    'sha256',
    fieldsOf(prevHash, r)
      .map((f) => f ?? '')
      .join('\u001f'),
  );
}
