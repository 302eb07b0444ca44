/**
 * VAPI calls over HTTP: start, end, list, and VAPI's server messages. Each route validates
 * with the contract, calls one use-case of core/calls and translates its outcome.
 */
import type { FastifyRequest } from 'fastify';
import { endCall } from '../../../core/calls/end-call.js';
import { getStartCredits } from '../../../core/calls/get-start-credits.js';
import { callStatusWord, listCalls } from '../../../core/calls/list-calls.js';
import { noteProviderStatus } from '../../../core/calls/provider-status.js';
import { settleFromMessage } from '../../../core/calls/settle-call.js';
import { DEFAULT_CALL_SECONDS, type StartOutcome, startCall } from '../../../core/calls/start-call.js';
import { isManager } from '../../../core/orgs/membership.js';
import { mcToCredits } from '../../../contracts/money.js';
import { callsConfig } from '../../../config.js';
import type { App, AppContext } from '../../context.js';
import { HttpError, errorReply } from '../../http-errors.js';
import { account, bypassCharges, idempotencyScope } from '../../plugins/account.js';
import { principal } from '../../plugins/auth.js';
import { sameSecret } from '../../same-secret.js';
import { type StoredReply, sendReply } from '../../plugins/idempotency.js';
import { publicCallId, toCall } from '../../presenters.js';
import { routes, signedInRoutes } from '../../route-docs.js';
import { identifier } from '../../cursor.js';

/**
 * Whose calls a request sees and ends: on an organisation, a plain member only those they
 * started (their user id); its owners and admins, and a personal account's user, all (null).
 * An organisation put on the request unread (`verified` false: only the writer-checked routes,
 * not these, do that) would count as a plain member's: the narrower view, never the wider.
 */
function startedBy(req: FastifyRequest): string | null {
  const a = account(req);
  return a.kind === 'organization' && (!a.verified || !isManager(a.role)) ? principal(req).id : null;
}

export async function vapiRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const vapi = ctx.services.vapi;
  if (!vapi) throw new Error('the VAPI client is missing from services');
  const cfg = callsConfig(ctx.config);
  const route = signedInRoutes(app, ctx, 'platform');

  /** The answer to a call start, from its outcome; `final` answers are what replays get. */
  const startReply = async (out: StartOutcome): Promise<StoredReply & { final: boolean }> => {
    const c = out.call;
    switch (out.kind) {
      case 'failed':
        return { final: true, ...errorReply('bad_gateway', 'VAPI could not start the call; nothing was charged.') };
      case 'in_flight':
        return {
          final: false,
          ...errorReply('idempotency_conflict', 'A request with this Idempotency-Key is still starting this call; retry shortly.'),
        };
      case 'unconfirmed':
        return {
          final: false,
          ...errorReply(
            'bad_gateway',
            'VAPI did not confirm the call. It may have been placed, so its credits stay held until VAPI tells; retry with the same Idempotency-Key (or list your calls) to learn the outcome.',
            { callId: c.id, status: callStatusWord(c) },
          ),
        };
      case 'started': {
        const credits = await getStartCredits(ctx.core, c);
        return {
          final: true,
          status: 201,
          body: {
            call: { id: publicCallId(c), status: callStatusWord(c), maxDurationSeconds: c.max_duration_seconds },
            credits: {
              charged: mcToCredits(credits.chargedMc),
              reserved: mcToCredits(credits.heldMc),
              balance: mcToCredits(credits.balanceMc),
              available: mcToCredits(credits.availableMc),
            },
          },
        };
      }
    }
  };

  route('POST /api/vapi/calls', async (req, reply) => {
    const p = account(req);
    const r = await ctx.idempotency.runFlow(req, idempotencyScope(req), async (idem) =>
      startReply(
        await startCall(ctx.core, vapi, cfg, {
          userId: p.id,
          memberId: p.memberId,
          bypass: bypassCharges(req),
          phoneNumber: req.body.phoneNumber,
          assistantId: req.body.assistantId ?? null,
          maxDurationSeconds: req.body.maxDurationSeconds ?? DEFAULT_CALL_SECONDS,
          idem,
        }),
      ),
    );
    return sendReply(reply, r);
  });

  // With an Idempotency-Key, a simulated call's settlement stores the key with its capture and
  // the answer replaces it (runFlow): a retry after a lost answer replays what was charged
  // rather than "settled: false" and nothing. A real call's 202 moves nothing: it is asked again.
  route('POST /api/vapi/calls/:id/end', async (req, reply) => {
    const p = account(req);
    const seconds = req.body.durationSeconds;
    const r = await ctx.idempotency.runFlow(req, idempotencyScope(req), async (idem) => {
      const out = await endCall(ctx.core, vapi, {
        userId: p.id,
        id: req.params.id,
        startedBy: startedBy(req),
        durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
        idem,
      });
      if (out.kind === 'ending') return { status: 202, body: { call: { id: publicCallId(out.call), status: 'ending' } }, final: false };
      const bal = await ctx.core.ledger.balance(p.id);
      const body = {
        call: {
          id: publicCallId(out.call),
          status: out.call.status === 'failed' ? 'failed' : 'ended',
          durationSeconds: out.durationMs / 1000,
        },
        credits: {
          charged: mcToCredits(out.chargedMc),
          balance: mcToCredits(bal.balanceMc),
          available: mcToCredits(bal.availableMc),
          reserved: mcToCredits(bal.reservedMc),
        },
        settled: out.settled,
      };
      return { status: 200, body, final: out.settled };
    });
    return sendReply(reply, r);
  });

  route('GET /api/vapi/calls', async (req) =>
    ctx.cursors.list(
      req,
      'c',
      identifier,
      (page) => listCalls(db, account(req).id, { ...req.query, startedBy: startedBy(req) }, page),
      toCall,
    ),
  );

  routes(app, { tag: 'platform' })('POST /api/vapi/webhook', async (req) => {
    // Always required: VAPI_WEBHOOK_SECRET, or the one generated in DATA_DIR (none at all: refused).
    const secret = ctx.config.vapi.webhookSecret;
    if (!secret || !sameSecret(req.headers['x-vapi-secret'], secret)) {
      throw new HttpError('unauthorized', 'The x-vapi-secret header is missing or wrong.');
    }
    // Each reads only its own type of message: a status-update, an end-of-call report.
    await noteProviderStatus(ctx.core, req.body.message);
    return { received: true, settled: await settleFromMessage(ctx.core, req.body.message) };
  });
}
