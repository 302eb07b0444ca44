import { mcToCredits } from '../../../contracts/money.js';
import { captureHold } from '../../../core/holds/capture-hold.js';
import { createHold } from '../../../core/holds/create-hold.js';
import { extendHold } from '../../../core/holds/extend-hold.js';
import { isoTime } from '../../../core/iso-time.js';
import { releaseHold } from '../../../core/holds/release-hold.js';
import type { Applied } from '../../../core/ledger/types.js';
import type { App, AppContext } from '../../context.js';
import { sendReply } from '../../plugins/idempotency.js';
import { namedCustomer, serviceScope } from '../../plugins/service-auth.js';
import { serviceRoutes } from '../../route-docs.js';

const iso = isoTime;

/** The answer to a hold placed: the hold, and the credits reserved and available after it. */
const held = (applied: Applied) => ({
  hold: {
    id: applied.reservationId as string,
    status: 'held' as const,
    credits: mcToCredits(applied.reservedChangeMc),
    expiresAt: iso((applied.effects as { expiresAt?: number } | undefined)?.expiresAt ?? 0),
  },
  credits: { reserved: mcToCredits(applied.reservedMc), available: mcToCredits(applied.availableMc) },
});

/** The answer to a capture: what was charged of what was held, and the balance after it. */
const captured = (id: string, applied: Applied) => ({
  hold: {
    id,
    status: 'captured' as const,
    credits: mcToCredits(applied.chargedMc ?? 0),
    heldCredits: mcToCredits(-applied.reservedChangeMc),
  },
  credits: {
    charged: mcToCredits(applied.chargedMc ?? 0),
    balance: mcToCredits(applied.balanceMc),
    available: mcToCredits(applied.availableMc),
  },
});

/** Holds for long operations: reserve now, capture what was used, release the rest. */
export async function holdRoutes(app: App, ctx: AppContext) {
  const route = serviceRoutes(app, ctx);

  route('POST /api/v1/holds', async (req, reply) => {
    const b = req.body;
    const { key, scope, customer: c } = await namedCustomer(ctx.core.database.db, req, b);
    // Rendered again once the hold's row is written (the expiry comes from its effect).
    const r = await ctx.idempotency.run(
      req,
      { scope, render: (applied) => ({ status: 201, body: held(applied) }) },
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
  });

  route('POST /api/v1/holds/:id/capture', async (req, reply) => {
    const r = await ctx.idempotency.run(
      req,
      { scope: serviceScope(req), render: (applied) => ({ status: 200, body: captured(req.params.id, applied) }) },
      async (idem) =>
        (await captureHold(ctx.core, { id: req.params.id, quantityMilli: req.body.quantity, metadata: req.body.metadata, idem })).applied,
    );
    return sendReply(reply, r);
  });

  route('POST /api/v1/holds/:id/release', async (req) => {
    const r = await releaseHold(ctx.core, { id: req.params.id });
    return { hold: { id: req.params.id, status: r.status } };
  });

  route('POST /api/v1/holds/:id/extend', async (req) => {
    const r = await extendHold(ctx.core, { id: req.params.id, ttlSeconds: req.body.ttlSeconds });
    return { hold: { id: req.params.id, status: r.status, expiresAt: iso(r.expiresAt) } };
  });
}
