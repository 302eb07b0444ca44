import { mcToCredits } from '../../../contracts/money.js';
import {
  captureBody,
  captureResponse,
  extendBody,
  extendResponse,
  holdBody,
  holdParams,
  holdResponse,
  releaseResponse,
} from '../../../contracts/service.js';
import { getMemberCustomer } from '../../../core/customers/upsert-customer.js';
import { captureHold } from '../../../core/holds/capture-hold.js';
import { createHold } from '../../../core/holds/create-hold.js';
import { extendHold } from '../../../core/holds/extend-hold.js';
import { releaseHold } from '../../../core/holds/release-hold.js';
import type { App, AppContext } from '../../context.js';
import { sendReply } from '../../plugins/idempotency.js';
import { apiKeyOf, keyScope } from '../../plugins/service-auth.js';
import { answers, serviceRoutes } from '../../route-docs.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Holds for long operations: reserve now, capture what was used, release the rest. */
export async function holdRoutes(app: App, ctx: AppContext) {
  const route = serviceRoutes({ onRequest: ctx.authenticateService });

  app.post(
    '/api/v1/holds',
    route(
      'Hold credits for a long operation',
      'Service API key. Reserves the cost of `quantity` of `unit` of `operation` for `customer`, priced now by the active rule (the capture is charged at this same price), for `ttlSeconds` (default 900, at most 86,400); 402 when the customer cannot afford it, and nothing is held. Takes an `Idempotency-Key` (scoped to the API key). A hold not captured or released by `expiresAt` is released by the sweeper within `HOLD_SWEEP_SECONDS`, charging nothing.',
      { body: holdBody, response: answers({ 201: holdResponse }, 400, 401, 402, 404, 409) },
    ),
    async (req, reply) => {
      const b = req.body;
      const key = apiKeyOf(req);
      const c = await getMemberCustomer(ctx.core.database.db, b.customer, b.member);
      const r = await ctx.idempotency.run(
        req,
        {
          scope: keyScope(key),
          // Rendered again once the hold's row is written (the expiry comes from its effect).
          render: (applied) => ({
            status: 201,
            body: {
              hold: {
                id: applied.reservationId as string,
                status: 'held' as const,
                credits: mcToCredits(applied.reservedChangeMc),
                expiresAt: iso((applied.effects as { expiresAt?: number } | undefined)?.expiresAt ?? 0),
              },
              credits: { reserved: mcToCredits(applied.reservedMc), available: mcToCredits(applied.availableMc) },
            },
          }),
        },
        async (idem) =>
          (
            await createHold(ctx.core, {
              userId: c.id,
              memberId: c.memberId,
              apiKeyId: key.id,
              operation: b.operation,
              unit: b.unit,
              quantityMilli: b.quantity,
              ttlSeconds: b.ttlSeconds,
              idem,
            })
          ).applied,
      );
      return sendReply(reply, r);
    },
  );

  app.post(
    '/api/v1/holds/:id/capture',
    route(
      'Capture a hold',
      'Service API key. Charges the cost of `quantity` at the hold’s price, never more than the held credits, and releases the rest, in one `usage` transaction (`metadata`, at most 4 KiB, is kept on the usage row and shown in the history). `hold.credits` is what was charged, `hold.heldCredits` what was held. A second capture, or a capture after release or expiry, is 409 `conflict`; of two captures at once, one wins. Takes an `Idempotency-Key` (a retry then replays the capture instead of 409).',
      { params: holdParams, body: captureBody, response: answers({ 200: captureResponse }, 400, 401, 404, 409) },
    ),
    async (req, reply) => {
      const key = apiKeyOf(req);
      const r = await ctx.idempotency.run(
        req,
        {
          scope: keyScope(key),
          render: (applied) => ({
            status: 200,
            body: {
              hold: {
                id: req.params.id,
                status: 'captured' as const,
                credits: mcToCredits(applied.chargedMc ?? 0),
                heldCredits: mcToCredits(-applied.reservedChangeMc),
              },
              credits: {
                charged: mcToCredits(applied.chargedMc ?? 0),
                balance: mcToCredits(applied.balanceMc),
                available: mcToCredits(applied.availableMc),
              },
            },
          }),
        },
        async (idem) =>
          (await captureHold(ctx.core, { id: req.params.id, quantityMilli: req.body.quantity, metadata: req.body.metadata, idem })).applied,
      );
      return sendReply(reply, r);
    },
  );

  app.post(
    '/api/v1/holds/:id/release',
    route(
      'Release a hold',
      'Service API key. Ends the hold without charging: its credits are available again. Releasing a released hold changes nothing (200 again); an expired hold answers `status: "expired"`; a captured hold is 409 `conflict`.',
      { params: holdParams, response: answers({ 200: releaseResponse }, 401, 404, 409) },
    ),
    async (req) => {
      const r = await releaseHold(ctx.core, { id: req.params.id });
      return { hold: { id: req.params.id, status: r.status } };
    },
  );

  app.post(
    '/api/v1/holds/:id/extend',
    route(
      'Extend a hold',
      'Service API key. Sets the hold’s `expiresAt` to now + `ttlSeconds` (1 to 86,400). A hold past its expiry (released by the sweeper or not yet), captured or released cannot be extended: 409 `conflict`.',
      { params: holdParams, body: extendBody, response: answers({ 200: extendResponse }, 400, 401, 404, 409) },
    ),
    async (req) => {
      const r = await extendHold(ctx.core, { id: req.params.id, ttlSeconds: req.body.ttlSeconds });
      return { hold: { id: req.params.id, status: r.status, expiresAt: iso(r.expiresAt) } };
    },
  );
}
