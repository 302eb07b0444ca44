import { promoCodeCreate, promoCodeResponse, promoCodesList, redeemBody, redeemResponse } from '../../../contracts/promo.js';
import { mcToCredits } from '../../../contracts/money.js';
import { type PromoCodeRow, createPromoCode, isAvailable, listPromoCodes, redeemPromoCode } from '../../../core/promo/promo-codes.js';
import type { App, AppContext } from '../../context.js';
import { principal, requireAdmin } from '../../plugins/auth.js';
import { requireAccountManager } from '../../plugins/account.js';
import { toGrant } from '../../presenters.js';
import { answers, signedIn } from '../../route-docs.js';

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
    available: isAvailable(p, now),
    createdAt: new Date(p.created_at).toISOString(),
  };
}

/** Promo codes: admins create and list them; a signed-in user redeems one for their account. */
export async function promoCodeRoutes(app: App, ctx: AppContext) {
  const admin = { onRequest: [ctx.authenticate, requireAdmin] };

  app.post(
    '/api/admin/promo-codes',
    {
      ...admin,
      schema: {
        ...signedIn(
          'admin',
          'Create a promo code',
          'Admins only. `code` (3 to 40 letters, digits, `-` or `_`; matched without regard to case, stored upper-case), `credits` granted by each redemption (more than 0: a code of 0 credits is 400), and optionally `expiresInDays` (the lifetime of the grant a redemption creates, counted from the redemption), `maxRedemptions` (accounts in all) and `validUntil` (the last moment it can be redeemed, in the future). A code that exists already is 409 `conflict`. Audited.',
        ),
        body: promoCodeCreate,
        response: answers({ 201: promoCodeResponse }, 400, 401, 403, 409),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const row = await createPromoCode(
        ctx.core.writer,
        { code: b.code, creditsMc: b.credits, expiresInDays: b.expiresInDays, maxRedemptions: b.maxRedemptions, validUntil: b.validUntil },
        principal(req).id,
      );
      return reply.status(201).send({ promoCode: toPromoCode(row) });
    },
  );

  app.get(
    '/api/admin/promo-codes',
    {
      ...admin,
      schema: {
        ...signedIn(
          'admin',
          'Promo codes',
          'Admins only. Every promo code, newest first, with how many accounts redeemed it (`redemptions`) and whether it can still be redeemed now (`available`: not past `validUntil`, not used up).',
        ),
        response: answers({ 200: promoCodesList }, 401, 403),
      },
    },
    async () => {
      const now = Date.now();
      return { items: (await listPromoCodes(ctx.core.database.db)).map((p) => toPromoCode(p, now)) };
    },
  );

  app.post(
    '/api/credits/redeem',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...signedIn(
          'credits',
          'Redeem a promo code',
          'Grants the code’s credits to the signed-in account as a `promo` grant (an `adjustment` ledger row referencing the code), expiring `expiresInDays` after now when the code says so; the redemption and the grant are written in one transaction. Once per account: a second redemption is 409 `already_redeemed` (also when two requests race, on any number of instances: one wins). An unknown code is 404; a code past its `validUntil` or used up is 410 `promo_unavailable`. A refusal writes nothing. The code is matched without regard to case. A retry after a lost answer is 409 `already_redeemed`, and the grant is in GET /api/credits/grants.',
        ),
        body: redeemBody,
        response: answers({ 201: redeemResponse }, 400, 401, 404, 409, 410, 503),
      },
    },
    async (req, reply) => {
      const { grant, applied } = await redeemPromoCode(ctx.core.writer, requireAccountManager(req).id, req.body.code);
      return reply
        .status(201)
        .send({ grant: toGrant(grant), credits: { balance: mcToCredits(applied.balanceMc), available: mcToCredits(applied.availableMc) } });
    },
  );
}
