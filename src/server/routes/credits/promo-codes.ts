import { idParam, paginationQuery } from '../../../contracts/common.js';
import {
  promoCodeCreate,
  promoCodePatch,
  promoCodeResponse,
  promoCodesList,
  redeemBody,
  redeemResponse,
} from '../../../contracts/promo.js';
import { mcToCredits } from '../../../contracts/money.js';
import {
  type PromoCodeRow,
  type PromoCodesKey,
  createPromoCode,
  isAvailable,
  listPromoCodes,
  redeemPromoCode,
  setPromoCodeActive,
} from '../../../core/promo/promo-codes.js';
import type { App, AppContext } from '../../context.js';
import { principal } from '../../plugins/auth.js';
import { requireAccountManager } from '../../plugins/account.js';
import { toGrant } from '../../presenters.js';
import { adminOnlyRoutes, answers, signedInRoutes } from '../../route-docs.js';

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
  const adminRoute = adminOnlyRoutes(ctx);
  const route = signedInRoutes({ onRequest: ctx.authenticate }, 'credits');

  app.post(
    '/api/admin/promo-codes',
    adminRoute(
      'Create a promo code',
      'Admins only. `code` (3 to 40 letters, digits, `-` or `_`; matched without regard to case, stored upper-case), `credits` granted by each redemption (more than 0: a code of 0 credits is 400), and optionally `expiresInDays` (the lifetime of the grant a redemption creates, counted from the redemption), `maxRedemptions` (accounts in all) and `validUntil` (the last moment it can be redeemed, in the future). A code that exists already is 409 `conflict`. Audited.',
      { body: promoCodeCreate, response: answers({ 201: promoCodeResponse }, 400, 401, 403, 409) },
    ),
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
    adminRoute(
      'Promo codes',
      'Admins only. The promo codes, newest first, paginated, each with how many accounts redeemed it (`redemptions`), whether an admin deactivated it (`active`) and whether it can still be redeemed now (`available`: active, not past `validUntil`, not used up).',
      { querystring: paginationQuery, response: answers({ 200: promoCodesList }, 400, 401, 403) },
    ),
    async (req) => {
      const now = Date.now();
      const page = ctx.cursors.request(req.query, 'at', (v): PromoCodesKey => {
        const [at, id] = Array.isArray(v) ? v : [];
        return [Number(at), String(id)];
      });
      return ctx.cursors.answer(await listPromoCodes(ctx.core.database.db, page), 'at', (p) => toPromoCode(p, now));
    },
  );

  app.patch(
    '/api/admin/promo-codes/:id',
    adminRoute(
      'Deactivate a promo code',
      'Admins only. `{active: false}` deactivates the code: from then on a redemption answers 410 `promo_unavailable` and writes nothing; the grants it made stay. `{active: true}` makes it redeemable again. A code is deactivated, never deleted. Unknown id: 404. Audited (`promo_code.deactivate`, `promo_code.activate`); setting what it is already changes nothing.',
      { params: idParam, body: promoCodePatch, response: answers({ 200: promoCodeResponse }, 400, 401, 403, 404) },
    ),
    async (req) => {
      const row = await setPromoCodeActive(ctx.core.writer, req.params.id, req.body.active, principal(req).id);
      return { promoCode: toPromoCode(row) };
    },
  );

  app.post(
    '/api/credits/redeem',
    route(
      'Redeem a promo code',
      'Grants the code’s credits to the signed-in account as a `promo` grant (an `adjustment` ledger row referencing the code), expiring `expiresInDays` after now when the code says so; the redemption and the grant are written in one transaction. Once per account: a second redemption is 409 `already_redeemed` (also when two requests race, on any number of instances: one wins). An unknown code is 404; a code deactivated by an admin, past its `validUntil` or used up is 410 `promo_unavailable`. A refusal writes nothing. The code is matched without regard to case. A retry after a lost answer is 409 `already_redeemed`, and the grant is in GET /api/credits/grants.',
      { body: redeemBody, response: answers({ 201: redeemResponse }, 400, 401, 404, 409, 410, 503) },
    ),
    async (req, reply) => {
      const { grant, applied } = await redeemPromoCode(ctx.core.writer, requireAccountManager(req).id, req.body.code);
      return reply
        .status(201)
        .send({ grant: toGrant(grant), credits: { balance: mcToCredits(applied.balanceMc), available: mcToCredits(applied.availableMc) } });
    },
  );
}
