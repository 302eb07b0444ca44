import { z } from 'zod';
import { errorSchema } from '../../../contracts/common.js';
import {
  balanceSchema,
  estimateBody,
  estimateResponse,
  packageSchema,
  pricingRuleSchema,
} from '../../../contracts/credits.js';
import type { Balance } from '../../../core/ledger/ledger.js';
import { mcToCredits } from '../../../core/money.js';
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
      schema: { tags: ['credits'], security: [{ bearer: [] }], response: { 200: balanceSchema, 401: errorSchema } },
    },
    async (req) => {
      const p = principal(req);
      return toBalance(await ctx.core.ledger.balance(p.id), p.role === 'super_admin');
    },
  );

  app.get(
    '/api/credits/packages',
    { schema: { tags: ['credits'], response: { 200: z.object({ items: z.array(packageSchema) }) } } },
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
    { schema: { tags: ['credits'], response: { 200: z.object({ items: z.array(pricingRuleSchema) }) } } },
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
        tags: ['credits'],
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
