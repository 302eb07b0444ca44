import { mcToCredits } from '../../../contracts/money.js';
import {
  type PromoCodeRow,
  type Redeemed,
  createPromoCode,
  isAvailable,
  listPromoCodes,
  redeemPromoCode,
  setPromoCodeActive,
} from '../../../core/promo/promo-codes.js';
import type { App, AppContext } from '../../context.js';
import { timeThenId } from '../../cursor.js';
import { principal } from '../../plugins/auth.js';
import { idempotencyScope, requireAccountManager } from '../../plugins/account.js';
import { type StoredReply, sendReply } from '../../plugins/idempotency.js';
import { toGrant } from '../../presenters.js';
import { adminOnlyRoutes, signedInRoutes } from '../../route-docs.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toPromoCode(p: PromoCodeRow, now = Date.now()) {
  return {
    id: p.id,
    code: p.code,
    credits: mcToCredits(p.credits_mc),
    expiresInDays: p.expires_in_days,
    maxRedemptions: p.max_redemptions,
    validUntil: iso(p.valid_until),
    redemptions: p.redemptions,
    active: p.active === 1,
    available: isAvailable(p, now),
    createdAt: new Date(p.created_at).toISOString(),
  };
}

/** Promo codes: admins create and list them; a signed-in user redeems one for their account. */
export async function promoCodeRoutes(app: App, ctx: AppContext) {
  const adminRoute = adminOnlyRoutes(app, ctx);
  const route = signedInRoutes(app, ctx, 'credits');

  adminRoute('POST /api/admin/promo-codes', async (req, reply) => {
    const b = req.body;
    const row = await createPromoCode(
      ctx.core.writer,
      { code: b.code, creditsMc: b.credits, expiresInDays: b.expiresInDays, maxRedemptions: b.maxRedemptions, validUntil: b.validUntil },
      principal(req).id,
    );
    return reply.status(201).send({ promoCode: toPromoCode(row) });
  });

  adminRoute('GET /api/admin/promo-codes', async (req) => {
    const now = Date.now();
    return ctx.cursors.list(
      req,
      'at',
      timeThenId,
      (page) => listPromoCodes(ctx.core.database.db, page),
      (p) => toPromoCode(p, now),
    );
  });

  adminRoute('PATCH /api/admin/promo-codes/:id', async (req) => {
    const row = await setPromoCodeActive(ctx.core.writer, req.params.id, req.body.active, principal(req).id);
    return { promoCode: toPromoCode(row) };
  });

  route('POST /api/credits/redeem', async (req, reply) => {
    const accountId = requireAccountManager(req).id;
    const render = ({ grant, applied }: Redeemed): StoredReply => ({
      status: 201,
      body: { grant: toGrant(grant), credits: { balance: mcToCredits(applied.balanceMc), available: mcToCredits(applied.availableMc) } },
    });
    // With an Idempotency-Key, the key is stored with the answer in the redemption's transaction.
    const r = await ctx.idempotency.runOutside(req, idempotencyScope(req), async (key) => {
      const idem =
        key === null ? undefined : { id: `${idempotencyScope(req)}:${key}`, fingerprint: ctx.idempotency.fingerprint(req), render };
      const out = await redeemPromoCode(ctx.core.writer, accountId, req.body.code, idem);
      return out.replayed ? { ...(out.reply as StoredReply), replayed: true } : render(out);
    });
    return sendReply(reply, r);
  });
}
