/**
 * The domain, assembled: the writer, the ledger and the pricing cache over one database.
 * No HTTP, no environment: the caller passes what it needs (the ledger key among it).
 */
import type { Database } from '../db/open.js';
import type { LedgerKey } from './ledger/hash.js';
import type { ErrorLog } from './log.js';
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
  /** Where use-cases report the errors they handle but must not hide. */
  log: ErrorLog;
}

/**
 * `ledgerKey`: the ledger key, from the configuration (core reads no environment). `log`:
 * the service's logger (standard error when absent: a command, a test).
 */
export function createCore(database: Database, opts: WriterOptions & { pricingTtlMs?: number; log?: ErrorLog }): Core {
  const now = opts.now ?? Date.now;
  const writer = new LedgerWriter(database, opts);
  const pricing = new PricingCache(database.db, opts.pricingTtlMs ?? 1000, now);
  const ledger = new Ledger(database.db, writer, pricing);
  const log = opts.log ?? { error: (obj, msg) => console.error(msg, obj) };
  return { database, writer, ledger, pricing, ledgerKey: opts.ledgerKey, now, log };
}
