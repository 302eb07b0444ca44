import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let seq = 0;

// Random bytes are drawn from the system in blocks: one randomBytes(16) call per id was
// about 6% of the metered path's CPU (each call crosses into OpenSSL).
const POOL = Buffer.alloc(16 * 256);
let poolOffset = POOL.length;

function random16(): Buffer {
  if (poolOffset >= POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const b = Buffer.from(POOL.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return b;
}

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
  const b = random16();
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | ((seq >> 8) & 0x0f);
  b[7] = seq & 0xff;
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
