import type { LedgerWriter } from '../ledger/writer.js';
import { endTokens } from './token-version.js';

/** Signs the user out everywhere: every built-in token issued to them so far stops working. */
export async function signOut(writer: LedgerWriter, userId: string): Promise<void> {
  await writer.transaction(({ trx, now }) => endTokens(trx, writer.dialect, userId, now));
}
