import { createHash } from 'node:crypto';

/** The chain's start: the prev_hash of an account's first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedFields {
  id: string;
  user_id: string;
  seq: number;
  type: string;
  amount_mc: number;
  reserved_change_mc: number;
  balance_after_mc: number;
  reserved_after_mc: number;
  description: string;
  metadata: string | null;
  reference_type: string | null;
  reference_id: string | null;
  idempotency_key: string | null;
  created_at: number;
}

/**
 * The hash of a ledger row: SHA-256 over the previous row's hash and every field that
 * states what happened. Editing, removing or reordering any row breaks every hash after it.
 */
export function hashRow(prevHash: string, r: HashedFields): string {
  return createHash('sha256')
    .update(
      [
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
        r.metadata ?? '',
        r.reference_type ?? '',
        r.reference_id ?? '',
        r.idempotency_key ?? '',
        r.created_at,
      ].join('\u001f'),
    )
    .digest('hex');
}
