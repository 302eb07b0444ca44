import { findCustomer, upsertCustomer } from '../../../core/customers/upsert-customer.js';
import { notFound } from '../../../core/errors.js';
import type { App, AppContext } from '../../context.js';
import { toBalance } from '../../presenters.js';
import { serviceRoutes } from '../../route-docs.js';

/** Customers named by the platform's own id. */
export async function customerRoutes(app: App, ctx: AppContext) {
  const route = serviceRoutes(app, ctx);

  route('PUT /api/v1/customers/:externalId', async (req, reply) => {
    const b: {
      email?: string | undefined;
      name?: string | undefined;
      kind?: 'personal' | 'organization' | undefined;
      owner?: string | undefined;
    } = req.body ?? {};
    const r = await upsertCustomer(ctx.core.writer, ctx.core.database.db, {
      externalId: req.params.externalId,
      email: b.email,
      name: b.name,
      kind: b.kind,
      owner: b.owner,
      signupBonusMc: ctx.config.signupBonusMc,
    });
    if (r.created) ctx.users.invalidate(r.customer.accountId);
    return reply.status(r.created ? 201 : 200).send({ customer: r.customer });
  });

  route('GET /api/v1/customers/:externalId/balance', async (req) => {
    const c = await findCustomer(ctx.core.database.db, req.params.externalId);
    if (!c) throw notFound('Customer');
    const { balance, soon } = await ctx.core.ledger.balanceWithExpiring(c.id);
    return toBalance(balance, c.role === 'super_admin', soon);
  });
}
