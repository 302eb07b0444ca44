import { mcToCredits } from '../../../contracts/money.js';
import { listPackages } from '../../../core/catalog/list-packages.js';
import { estimateCost } from '../../../core/pricing/estimate-cost.js';
import { listActiveRules } from '../../../core/pricing/list-rules.js';
import type { App, AppContext } from '../../context.js';
import { account, bypassCharges } from '../../plugins/account.js';
import { toBalance, toPackage, toRule } from '../../presenters.js';
import { routes, signedInRoutes } from '../../route-docs.js';

export async function catalogRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = signedInRoutes(app, ctx, 'credits');
  const publicRoute = routes(app, { tag: 'credits' });

  route('GET /api/credits/balance', async (req) => {
    const { balance, soon } = await ctx.core.ledger.balanceWithExpiring(account(req).id);
    return toBalance(balance, bypassCharges(req), soon);
  });

  publicRoute('GET /api/credits/packages', async () => ({ items: (await listPackages(db, { includeInactive: false })).map(toPackage) }));

  publicRoute('GET /api/credits/pricing', async () => ({ items: (await listActiveRules(ctx.core.pricing)).map(toRule) }));

  route('POST /api/credits/estimate', async (req) => {
    const e = await estimateCost(ctx.core, account(req).id, {
      operation: req.body.operation,
      unit: req.body.unit,
      quantityMilli: req.body.quantity,
      unlimited: bypassCharges(req),
      memberId: account(req).memberId,
    });
    return { cost: mcToCredits(e.costMc), available: mcToCredits(e.availableMc), allowed: e.allowed };
  });
}
