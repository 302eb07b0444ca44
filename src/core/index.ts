/**
 * The domain, assembled: the writer, the ledger and the pricing cache over one database.
 * No HTTP, no environment: the caller passes what it needs (the ledger key among it).
 */
import type { Database } from '../db/open.js';
import type { LedgerKey } from './ledger/hash.js';
import { Ledger } from './ledger/ledger.js';
import { LedgerWriter, type WriterOptions } from './ledger/writer.js';
import { PricingCache } from './pricing/rules.js';

export interface Core {
  database: Database;
  writer: LedgerWriter;
  ledger: Ledger;
  pricing: PricingCache;
  /** The key the ledger's rows are hashed under (verify needs it too). */
  ledgerKey: LedgerKey;
  now: () => number;
}

/** `ledgerKey`: the ledger key, from the configuration (core reads no environment). */
export function createCore(database: Database, opts: WriterOptions & { pricingTtlMs?: number }): Core {
  const now = opts.now ?? Date.now;
  const writer = new LedgerWriter(database, opts);
  const pricing = new PricingCache(database.db, opts.pricingTtlMs ?? 1000, now);
  const ledger = new Ledger(database.db, writer, pricing);
  return { database, writer, ledger, pricing, ledgerKey: opts.ledgerKey, now };
}
