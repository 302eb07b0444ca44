import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let seq = 0;

// Random bytes are drawn from the system in blocks: one randomBytes(16) call per id was
// about 6% of the metered path's CPU (each call crosses into OpenSSL).
const POOL = Buffer.alloc(16 * 256);
let poolOffset = POOL.length;

/** The id's text, written here as ASCII and read as one string: no copy of the bytes, no hex string cut in five. */
const TEXT = Buffer.alloc(36);
/** The two hex digits of each byte value, as character codes. */
const HEX = Buffer.from(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''), 'latin1');
/** Where each of the 16 bytes' two digits go in `TEXT` (8-4-4-4-12, dashes between). */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
TEXT.fill(0x2d); // '-' where no digit is written

/**
 * A UUID version 7: 48 bits of Unix milliseconds then randomness, so ids sort by
 * creation time (cursor pages, indexes that append). Within one millisecond a
 * counter in the random bits keeps ids of this process increasing.
 */
export function newId(now = Date.now()): string {
  if (now <= lastMs) {
    now = lastMs;
    seq++;
  } else {
    lastMs = now;
    seq = 0;
  }
  if (poolOffset >= POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const b = POOL;
  const o = poolOffset;
  poolOffset += 16;
  b.writeUIntBE(now, o, 6);
  b[o + 6] = 0x70 | ((seq >> 8) & 0x0f);
  b[o + 7] = seq & 0xff;
  b[o + 8] = 0x80 | ((b[o + 8] ?? 0) & 0x3f);
  for (let i = 0; i < 16; i++) {
    const v = (b[o + i] ?? 0) * 2;
    const at = AT[i] ?? 0;
    TEXT[at] = HEX[v] ?? 0;
    TEXT[at + 1] = HEX[v + 1] ?? 0;
  }
  return TEXT.toString('latin1', 0, 36);
}
