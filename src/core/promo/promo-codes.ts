/**
 * Promo codes (issue 17): an admin makes a code worth some credits; each account may redeem
 * it once, which grants those credits as a `promo` grant through the ledger writer, in one
 * transaction with the redemption row and the code's counter.
 *
 * Once per account is the unique (code_id, user_id) of promo_redemptions; "used up" is the
 * guarded counter (`redemptions + 1 where redemptions < max_redemptions`), so two instances
 * redeeming at once can never go past the limit, and one account's two requests at once
 * grant once. On PostgreSQL the code's row is also locked first (FOR UPDATE), so the second
 * request waits for the first and then sees its redemption: a clean 409, not a retry.
 */
import { type Kysely, sql } from 'kysely';
import type { DB, GrantRow, PromoCodesTable } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/errors.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, conflict, invalid, notFound } from '../errors.js';
import { storeReply, storedReply } from '../stored-key.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';
import { newId } from '../ids.js';
import type { Applied } from '../ledger/types.js';
import type { LedgerWriter } from '../ledger/writer.js';

export type PromoCodeRow = PromoCodesTable;

const DAY_MS = 86_400_000;

export interface NewPromoCode {
  /** Upper-case already (the contract's promoCodeText). */
  code: string;
  creditsMc: number;
  expiresInDays?: number | null | undefined;
  maxRedemptions?: number | null | undefined;
  /** The last moment it can be redeemed (Unix ms); null: no end. */
  validUntil?: number | null | undefined;
}

/** Whether a code can be redeemed at `now`: active (not deactivated by an admin), not past its validUntil, not used up. */
export function isAvailable(p: PromoCodeRow, now: number): boolean {
  return (
    p.active === 1 && (p.valid_until === null || now <= p.valid_until) && (p.max_redemptions === null || p.redemptions < p.max_redemptions)
  );
}

/** A new code (409 `conflict` when the code exists already), audited. */
export async function createPromoCode(writer: LedgerWriter, input: NewPromoCode, actorId: string): Promise<PromoCodeRow> {
  if (!Number.isSafeInteger(input.creditsMc) || input.creditsMc <= 0) {
    // The contract refuses a code of 0 credits at creation; the schema does it first, this is the core's own guard.
    throw invalid('A promo code must grant more than 0 credits.', { creditsMc: input.creditsMc });
  }
  try {
    return await writer.transaction(async ({ trx, now }) => {
      const row: PromoCodeRow = {
        id: `promo_${newId(now)}`,
        code: input.code,
        credits_mc: input.creditsMc,
        expires_in_days: input.expiresInDays ?? null,
        max_redemptions: input.maxRedemptions ?? null,
        valid_until: input.validUntil ?? null,
        redemptions: 0,
        active: 1,
        created_by: actorId,
        created_at: now,
      };
      const taken = await trx.selectFrom('promo_codes').select('id').where('code', '=', row.code).executeTakeFirst();
      if (taken) throw conflict('A promo code with this code exists already.', { code: row.code });
      await trx.insertInto('promo_codes').values(row).execute();
      await recordAudit(
        trx,
        {
          actorId,
          action: 'promo_code.create',
          targetType: 'promo_code',
          targetId: row.id,
          details: {
            code: row.code,
            creditsMc: row.credits_mc,
            expiresInDays: row.expires_in_days,
            maxRedemptions: row.max_redemptions,
            validUntil: row.valid_until === null ? null : new Date(row.valid_until).toISOString(),
          },
        },
        now,
      );
      return row;
    });
  } catch (e) {
    // Two admins making the same code at once: the unique index decides.
    if (isUniqueViolation(e)) throw conflict('A promo code with this code exists already.', { code: input.code });
    throw e;
  }
}

/** A code's place in the list: when it was made, then its id. */
export type PromoCodesKey = readonly [at: number, id: string];

/** The codes, newest first, with their redemptions so far; keyset pages by (created_at, id). */
export function listPromoCodes(db: Kysely<DB>, page: PageRequest<PromoCodesKey>): Promise<Page<PromoCodeRow, PromoCodesKey>> {
  return paginate(db.selectFrom('promo_codes').selectAll(), ['created_at', 'id'], (r): PromoCodesKey => [r.created_at, r.id], page);
}

/**
 * Deactivates (`active` false) or reactivates a code, audited (`promo_code.deactivate`,
 * `promo_code.activate`); 404 when there is no such code. A deactivated code answers 410
 * `promo_unavailable` on redemption; what it granted stays. Setting what it is already
 * changes nothing and writes no audit entry.
 */
export async function setPromoCodeActive(writer: LedgerWriter, id: string, active: boolean, actorId: string): Promise<PromoCodeRow> {
  return writer.transaction(async ({ trx, now }) => {
    let q = trx.selectFrom('promo_codes').selectAll().where('id', '=', id);
    if (writer.dialect === 'postgres') q = q.forUpdate();
    const p = await q.executeTakeFirst();
    if (!p) throw notFound('Promo code');
    const flag = active ? 1 : 0;
    if (p.active === flag) return p;
    await trx.updateTable('promo_codes').set({ active: flag }).where('id', '=', id).execute();
    await recordAudit(
      trx,
      {
        actorId,
        action: active ? 'promo_code.activate' : 'promo_code.deactivate',
        targetType: 'promo_code',
        targetId: id,
        details: { code: p.code, redemptions: p.redemptions },
      },
      now,
    );
    return { ...p, active: flag };
  });
}

export interface Redeemed {
  grant: GrantRow;
  applied: Applied;
  /** With a key: the answer, stored with the key in the redemption's transaction. */
  reply?: unknown;
  replayed?: false;
}

/** A key already stored: the answer it was stored with, nothing done again. */
export interface RedeemReplay {
  replayed: true;
  reply: unknown;
}

/** A request's idempotency key: stored with its answer in the redemption's own transaction. */
export interface RedeemKey {
  /** `scope:key`, as the idempotency plugin names it. */
  id: string;
  fingerprint: string;
  render(r: Redeemed): unknown;
}

/**
 * Redeems `code` for the account: 404 unknown, 409 `already_redeemed` when this account did
 * already, 410 `promo_unavailable` when deactivated, past its validUntil or used up; otherwise a `promo` grant of
 * its credits (an `adjustment` ledger row, reference `promo_code`), expiring `expiresInDays`
 * after now when the code says so, the redemption row and the counter, all in one transaction.
 * A refusal writes nothing.
 */
export async function redeemPromoCode(
  writer: LedgerWriter,
  userId: string,
  code: string,
  idem?: RedeemKey,
): Promise<Redeemed | RedeemReplay> {
  try {
    return await writer.transaction(async ({ trx, now, apply }) => {
      let q = trx.selectFrom('promo_codes').selectAll().where('code', '=', code);
      if (writer.dialect === 'postgres') q = q.forUpdate();
      const p = await q.executeTakeFirst();
      if (!p) throw notFound('Promo code');
      // A retry after a lost answer, or a duplicate that raced the first: the answer stored with
      // the key, not `already_redeemed` (API.md: the same key and body replay the first answer).
      // Read once the code's row is locked (PostgreSQL), so a duplicate that waited sees the key.
      const stored = idem ? await storedReply(trx, idem.id, idem.fingerprint) : null;
      if (stored) {
        const replay: RedeemReplay = { replayed: true, reply: stored.reply };
        return replay;
      }
      const done = await trx
        .selectFrom('promo_redemptions')
        .select('id')
        .where('code_id', '=', p.id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (done) throw alreadyRedeemed();
      if (p.active !== 1) throw unavailable('This promo code has been deactivated.', p);
      if (p.valid_until !== null && now > p.valid_until) throw unavailable('This promo code is no longer valid.', p);
      // The guarded counter: never past max_redemptions, whatever runs at the same time.
      const counted = await trx
        .updateTable('promo_codes')
        .set({ redemptions: sql`redemptions + 1` })
        .where('id', '=', p.id)
        .where((eb) => eb.or([eb('max_redemptions', 'is', null), eb('redemptions', '<', eb.ref('max_redemptions'))]))
        .executeTakeFirst();
      if (Number(counted.numUpdatedRows) !== 1) throw unavailable('This promo code has been used up.', p);
      const redemptionId = newId(now);
      await trx
        .insertInto('promo_redemptions')
        .values({ id: redemptionId, code_id: p.id, user_id: userId, grant_id: null, created_at: now })
        .execute();
      const [result] = await apply([
        {
          kind: 'credit',
          userId,
          amountMc: p.credits_mc,
          type: 'adjustment',
          grant: { source: 'promo', expiresAt: p.expires_in_days === null ? null : now + p.expires_in_days * DAY_MS, valueCents: 0 },
          description: `Promo code ${p.code}`,
          metadata: { promoCode: p.code },
          refType: 'promo_code',
          refId: p.id,
        },
      ]);
      if (!result) throw new Error('The ledger gave no outcome for the promo grant.');
      if (!result.ok) throw result.error;
      const grantId = result.value.grantId as string;
      await trx.updateTable('promo_redemptions').set({ grant_id: grantId }).where('id', '=', redemptionId).execute();
      const grant = await trx.selectFrom('grants').selectAll().where('id', '=', grantId).executeTakeFirstOrThrow();
      const redeemed: Redeemed = { grant, applied: result.value };
      if (idem) {
        redeemed.reply = idem.render(redeemed);
        await storeReply(trx, idem.id, idem.fingerprint, redeemed.reply, now);
      }
      return redeemed;
    });
  } catch (e) {
    // The same account's two requests at once, on SQLite's retry or a lost race: the unique
    // (code_id, user_id) let one through; the other is what it is, already redeemed. (One key
    // for two codes at once collides on idempotency_keys instead: the writer retries that
    // transaction, which then reads the key, committed, and answers idempotency_conflict.)
    if (isUniqueViolation(e)) throw alreadyRedeemed();
    throw e;
  }
}

function alreadyRedeemed() {
  return new DomainError('already_redeemed', 'This account has already redeemed this promo code.');
}

function unavailable(message: string, p: PromoCodeRow) {
  return new DomainError('promo_unavailable', message, {
    validUntil: p.valid_until === null ? null : new Date(p.valid_until).toISOString(),
    maxRedemptions: p.max_redemptions,
  });
}
