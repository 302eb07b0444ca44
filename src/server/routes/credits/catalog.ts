import { balanceSchema, estimateBody, estimateResponse, packagesList, pricingRulesList } from '../../../contracts/credits.js';
import { mcToCredits } from '../../../contracts/money.js';
import { listPackages } from '../../../core/catalog/list-packages.js';
import { estimateCost } from '../../../core/pricing/estimate-cost.js';
import { listActiveRules } from '../../../core/pricing/list-rules.js';
import type { App, AppContext } from '../../context.js';
import { account, bypassCharges } from '../../plugins/account.js';
import { toBalance, toPackage, toRule } from '../../presenters.js';
import { answers, signedIn } from '../../route-docs.js';

export async function catalogRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;

  app.get(
    '/api/credits/balance',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...signedIn(
          'credits',
          'Balance of the signed-in user',
          'In credits: `balance`, `reserved` (held for calls in progress and other holds), `available = balance - reserved` (every charge is limited by it), lifetime purchased (bonuses included) and used. `unlimited` is true for a super admin, who is never charged.',
        ),
        response: answers({ 200: balanceSchema }, 401),
      },
    },
    async (req) => {
      const { balance, soon } = await ctx.core.ledger.balanceWithExpiring(account(req).id);
      return toBalance(balance, bypassCharges(req), soon);
    },
  );

  app.get(
    '/api/credits/packages',
    {
      schema: {
        tags: ['credits'],
        summary: 'Credit packages for sale',
        description:
          'Public. The active packages, cheapest first; `credits` and `bonusCredits` are what a purchase adds, `priceCents` what it costs in `currency`.',
        response: { 200: packagesList },
      },
    },
    async () => ({ items: (await listPackages(db, { includeInactive: false })).map(toPackage) }),
  );

  app.get(
    '/api/credits/pricing',
    {
      schema: {
        tags: ['credits'],
        summary: 'Current prices',
        description:
          'Public. The current version of each active pricing rule: `credits` per `unit` of `operation`. What a quantity means for each unit is in the units table of this document’s description: `quantity` is seconds for `per_minute`, bytes for `per_mb`, tokens for `per_1k_tokens` and a count for every other unit.',
        response: { 200: pricingRulesList },
      },
    },
    async () => ({ items: (await listActiveRules(ctx.core.pricing)).map(toRule) }),
  );

  app.post(
    '/api/credits/estimate',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...signedIn(
          'credits',
          'Price an operation without running it',
          'Prices `quantity` of `unit` of `operation` by the active rule and says whether the available balance covers it. Moves nothing. `quantity` is in the unit’s base quantity: seconds for `per_minute` (a 90.5 s call is 90.5, not 1.5), bytes for `per_mb`, tokens for `per_1k_tokens`, a count otherwise. 404 when no active rule prices that operation and unit.',
        ),
        body: estimateBody,
        response: answers({ 200: estimateResponse }, 400, 401, 404),
      },
    },
    async (req) => {
      const e = await estimateCost(ctx.core, account(req).id, {
        operation: req.body.operation,
        unit: req.body.unit,
        quantityMilli: req.body.quantity,
        unlimited: bypassCharges(req),
      });
      return { cost: mcToCredits(e.costMc), available: mcToCredits(e.availableMc), allowed: e.allowed };
    },
  );
}
