import { errorSchema } from '../../../contracts/common.js';
import {
  balanceSchema,
  estimateBody,
  estimateResponse,
  packagesList,
  pricingRulesList,
} from '../../../contracts/credits.js';
import type { Balance } from '../../../core/ledger/ledger.js';
import { mcToCredits } from '../../../contracts/money.js';
import type { PackageRow, PricingRow } from '../../../db/schema.js';
import type { App, AppContext } from '../../app.js';
import { principal } from '../../plugins/auth.js';

export function toBalance(b: Balance, unlimited: boolean) {
  return {
    balance: mcToCredits(b.balanceMc),
    reserved: mcToCredits(b.reservedMc),
    available: mcToCredits(b.availableMc),
    lifetimePurchased: mcToCredits(b.lifetimePurchasedMc),
    lifetimeUsed: mcToCredits(b.lifetimeUsedMc),
    unlimited,
  };
}

export function toPackage(p: PackageRow) {
  return {
    id: p.id,
    name: p.name,
    credits: mcToCredits(p.credits_mc),
    bonusCredits: mcToCredits(p.bonus_credits_mc),
    priceCents: p.price_cents,
    currency: p.currency,
    popular: p.popular === 1,
    active: p.active === 1,
  };
}

export function toRule(r: PricingRow) {
  return {
    id: r.id,
    operation: r.operation,
    unit: r.unit,
    credits: mcToCredits(r.credits_mc),
    description: r.description,
    active: r.active === 1,
    version: r.version,
  };
}

export async function catalogRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;

  app.get(
    '/api/credits/balance',
    {
      onRequest: ctx.authenticate,
      schema: { tags: ['credits'], summary: 'Balance of the signed-in user', description: 'In credits: `balance`, `reserved` (held for calls in progress and other holds), `available = balance - reserved` (every charge is limited by it), lifetime purchased (bonuses included) and used. `unlimited` is true for a super admin, who is never charged.', security: [{ bearer: [] }], response: { 200: balanceSchema, 401: errorSchema } },
    },
    async (req) => {
      const p = principal(req);
      return toBalance(await ctx.core.ledger.balance(p.id), p.role === 'super_admin');
    },
  );

  app.get(
    '/api/credits/packages',
    { schema: { tags: ['credits'], summary: 'Credit packages for sale', description: 'Public. The active packages, cheapest first; `credits` and `bonusCredits` are what a purchase adds, `priceCents` what it costs in `currency`.', response: { 200: packagesList } } },
    async () => {
      const rows = await db
        .selectFrom('credit_packages')
        .selectAll()
        .where('active', '=', 1)
        .orderBy('price_cents')
        .orderBy('id')
        .execute();
      return { items: rows.map(toPackage) };
    },
  );

  app.get(
    '/api/credits/pricing',
    { schema: { tags: ['credits'], summary: 'Current prices', description: 'Public. The current version of each active pricing rule: `credits` per `unit` of `operation`. What a quantity means for each unit is in the units table of this document’s description: `quantity` is seconds for `per_minute`, bytes for `per_mb`, tokens for `per_1k_tokens` and a count for every other unit.', response: { 200: pricingRulesList } } },
    async () => {
      const rows = [...(await ctx.core.pricing.active()).values()].sort(
        (a, b) => a.operation.localeCompare(b.operation) || a.unit.localeCompare(b.unit),
      );
      return { items: rows.map(toRule) };
    },
  );

  app.post(
    '/api/credits/estimate',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['credits'], summary: 'Price an operation without running it', description: 'Prices `quantity` of `unit` of `operation` by the active rule and says whether the available balance covers it. Moves nothing. `quantity` is in the unit’s base quantity: seconds for `per_minute` (a 90.5 s call is 90.5, not 1.5), bytes for `per_mb`, tokens for `per_1k_tokens`, a count otherwise. 404 when no active rule prices that operation and unit.',
        security: [{ bearer: [] }],
        body: estimateBody,
        response: { 200: estimateResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const p = principal(req);
      const { operation, unit, quantity } = req.body;
      const [{ costMc }, bal] = await Promise.all([
        ctx.core.pricing.price(operation, unit, quantity),
        ctx.core.ledger.balance(p.id),
      ]);
      const unlimited = p.role === 'super_admin';
      return {
        cost: mcToCredits(costMc),
        available: mcToCredits(bal.availableMc),
        allowed: unlimited || (bal.availableMc >= costMc && bal.availableMc >= 0),
      };
    },
  );
}
