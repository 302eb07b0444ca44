/**
 * The chain heads file of `credits verify --export-heads` and `--heads`: every account's
 * last ledger row (seq and hash) at one moment, as JSON. Kept away from the database (a
 * different machine, a ticket, a printout), it lets a later verify prove that nothing up
 * to those rows changed, even by someone holding the ledger key.
 */
import { z } from 'zod';
import type { ChainHead } from '../core/ledger/verify.js';

export const HEADS_FORMAT = 'credits-ledger-heads/1';

const headsFile = z.object({
  format: z.literal(HEADS_FORMAT),
  exportedAt: z.string(),
  heads: z.array(z.object({ account: z.string().min(1), seq: z.number().int().positive(), hash: z.string().regex(/^[0-9a-f]{64}$/) })),
});

export function formatHeads(heads: ChainHead[], at: Date): string {
  const sorted = [...heads].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  const lines = sorted.map((h) => `    ${JSON.stringify({ account: h.account, seq: h.seq, hash: h.hash })}`);
  return `{\n  "format": "${HEADS_FORMAT}",\n  "exportedAt": "${at.toISOString()}",\n  "heads": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

/** Parses a heads file; throws with the reason when it is not one. */
export function parseHeads(text: string): ChainHead[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const r = headsFile.safeParse(json);
  if (!r.success)
    throw new Error(`not a ${HEADS_FORMAT} file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const seen = new Set<string>();
  for (const h of r.data.heads) {
    if (seen.has(h.account)) throw new Error(`account ${h.account} appears twice`);
    seen.add(h.account);
  }
  return r.data.heads;
}
