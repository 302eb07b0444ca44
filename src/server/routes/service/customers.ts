import { balanceSchema } from '../../../contracts/credits.js';
import { errorSchema } from '../../../contracts/common.js';
import { customerBody, customerParams, customerResponse } from '../../../contracts/service.js';
import { findCustomer, upsertCustomer } from '../../../core/customers/upsert-customer.js';
import { notFound } from '../../../core/errors.js';
import type { App, AppContext } from '../../context.js';
import { toBalance } from '../../presenters.js';

export const SERVICE_SECURITY: { [name: string]: string[] }[] = [{ apiKey: [] }, { serviceKey: [] }];

/** Customers named by the platform's own id. */
export async function customerRoutes(app: App, ctx: AppContext) {
  const auth = { onRequest: ctx.authenticateService };

  app.put(
    '/api/v1/customers/:externalId',
    {
      ...auth,
      schema: {
        tags: ['service'],
        summary: 'Create or update a customer',
        description:
          'Service API key. Creates (201) or updates (200) the customer the platform names `externalId` (its users’ `sub`). A personal customer is a user of this service, listed by the admin users routes with its `externalId`, the same user a platform token with that `sub` signs in as; without an `email` it gets a placeholder address under `customers.invalid`. An `email` that another account already uses is 409 (a customer is never joined to an existing account by address). `kind: "organization"` is 400 `validation_error` until organisations are available.',
        security: SERVICE_SECURITY,
        params: customerParams,
        body: customerBody,
        response: { 200: customerResponse, 201: customerResponse, 400: errorSchema, 401: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => {
      const b: { email?: string | undefined; name?: string | undefined; kind?: 'personal' | 'organization' | undefined } = req.body ?? {};
      const r = await upsertCustomer(ctx.core.writer, {
        externalId: req.params.externalId,
        email: b.email,
        name: b.name,
        kind: b.kind,
        signupBonusMc: ctx.config.signupBonusMc,
      });
      if (r.created) ctx.users.invalidate(r.customer.accountId);
      return reply.status(r.created ? 201 : 200).send({ customer: r.customer });
    },
  );

  app.get(
    '/api/v1/customers/:externalId/balance',
    {
      ...auth,
      schema: {
        tags: ['service'],
        summary: 'A customer’s balance',
        description:
          'Service API key. The balance object of `GET /api/credits/balance` for the customer the platform names `externalId`; 404 when no such customer was created.',
        security: SERVICE_SECURITY,
        params: customerParams,
        response: { 200: balanceSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const c = await findCustomer(ctx.core.database.db, req.params.externalId);
      if (!c) throw notFound('Customer');
      const { balance, soon } = await ctx.core.ledger.balanceWithExpiring(c.id);
      return toBalance(balance, c.role === 'super_admin', soon);
    },
  );
}
