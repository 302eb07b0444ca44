import { balanceSchema } from '../../../contracts/credits.js';
import { customerBody, customerParams, customerResponse } from '../../../contracts/service.js';
import { findCustomer, upsertCustomer } from '../../../core/customers/upsert-customer.js';
import { notFound } from '../../../core/errors.js';
import type { App, AppContext } from '../../context.js';
import { toBalance } from '../../presenters.js';
import { answers, serviceRoutes } from '../../route-docs.js';

/** Customers named by the platform's own id. */
export async function customerRoutes(app: App, ctx: AppContext) {
  const route = serviceRoutes({ onRequest: ctx.authenticateService });

  app.put(
    '/api/v1/customers/:externalId',
    route(
      'Create or update a customer',
      'Service API key. Creates (201) or updates (200) the customer the platform names `externalId`. External ids are one namespace: a customer is either personal or an organisation, and never changes kind (a `kind` other than the existing customer’s is 409 `conflict`; without `kind` an existing customer keeps its own and a new one is personal).\n\n**Personal** (its users’ `sub`): a user of this service, listed by the admin users routes with its `externalId`, the same user a platform token with that `sub` signs in as, whichever comes first (one use-case makes both). Without an `email` it gets a placeholder address under `users.invalid`. An `email` that another account already uses is 409 (a customer is never joined to an existing account by address). `owner` is 400 here.\n\n**Organisation** (`kind: "organization"`): an account shared by members, as `POST /api/orgs` with `externalId` makes. It has no `email` (400). `owner` names a user (their external id, or their user id) who is made an owner: added, or promoted from admin or member; no one is removed or demoted here. A new organisation without `owner` has no members until one is named. Usage, batches and holds for it name the member who caused them with `member`; its balance is `GET /api/v1/customers/:externalId/balance`.',
      { params: customerParams, body: customerBody, response: answers({ 200: customerResponse, 201: customerResponse }, 400, 401, 409) },
    ),
    async (req, reply) => {
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
    },
  );

  app.get(
    '/api/v1/customers/:externalId/balance',
    route(
      'A customer’s balance',
      'Service API key. The balance object of `GET /api/credits/balance` for the customer the platform names `externalId` (a personal customer or an organisation); 404 when no such customer was created.',
      { params: customerParams, response: answers({ 200: balanceSchema }, 401, 404) },
    ),
    async (req) => {
      const c = await findCustomer(ctx.core.database.db, req.params.externalId);
      if (!c) throw notFound('Customer');
      const { balance, soon } = await ctx.core.ledger.balanceWithExpiring(c.id);
      return toBalance(balance, c.role === 'super_admin', soon);
    },
  );
}
