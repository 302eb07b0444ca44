/**
 * VAPI calls over HTTP: start, end, list, and VAPI's server messages. Each route validates
 * with the contract, calls one use-case of core/calls and translates its outcome.
 */
import {
  callIdParams,
  callsPage,
  endCallBody,
  endCallEndingResponse,
  endCallSettledResponse,
  listCallsQuery,
  startCallBody,
  startCallResponse,
  vapiWebhookBody,
  vapiWebhookResponse,
} from '../../../contracts/calls.js';
import { endCall } from '../../../core/calls/end-call.js';
import { getStartCredits } from '../../../core/calls/get-start-credits.js';
import { callStatusWord, listCalls } from '../../../core/calls/list-calls.js';
import { settleFromMessage } from '../../../core/calls/settle-call.js';
import { DEFAULT_CALL_SECONDS, type StartOutcome, startCall } from '../../../core/calls/start-call.js';
import { mcToCredits } from '../../../contracts/money.js';
import { callsConfig } from '../../../config.js';
import type { App, AppContext } from '../../context.js';
import { HttpError, errorReply } from '../../http-errors.js';
import { account, bypassCharges, idempotencyScope } from '../../plugins/account.js';
import { sameSecret } from '../../same-secret.js';
import { type StoredReply, sendReply } from '../../plugins/idempotency.js';
import { publicCallId, toCall } from '../../presenters.js';
import { answers, signedIn } from '../../route-docs.js';

export async function vapiRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const vapi = ctx.services.vapi;
  if (!vapi) throw new Error('the VAPI client is missing from services');
  const cfg = callsConfig(ctx.config);

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
            { callId: c.id, status: callStatusWord(c.status) },
          ),
        };
      case 'started': {
        const credits = await getStartCredits(ctx.core, c);
        return {
          final: true,
          status: 201,
          body: {
            call: { id: publicCallId(c), status: callStatusWord(c.status), maxDurationSeconds: c.max_duration_seconds },
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

  app.post(
    '/api/vapi/calls',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...signedIn(
          'platform',
          'Start a VAPI call: charges vapi_call/per_call, holds per_minute for the affordable length',
          'The attempt and its charge are recorded before VAPI is asked. 201: VAPI placed the call. 502 `bad_gateway`: VAPI refused it, and nothing is charged (hold released, start charge reversed); ' +
            'or VAPI did not confirm it (timed out, unreachable): the call may be live, so its credits stay held until VAPI tells (details.status `queued`), and a retry with the same ' +
            'Idempotency-Key answers the outcome once known. 409 `idempotency_conflict`: a request with the same key is still starting the call.',
        ),
        body: startCallBody,
        response: answers({ 201: startCallResponse }, 400, 401, 402, 409, 502),
      },
    },
    async (req, reply) => {
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
    },
  );

  app.post(
    '/api/vapi/calls/:id/end',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...signedIn(
          'platform',
          'End a call (owner only)',
          'Simulated calls settle at once for `durationSeconds` (200). Calls through VAPI: VAPI is asked to hang up and the answer is 202 with status `ending`; the call is then ' +
            "settled from VAPI's end-of-call report or, if none comes, from the call as VAPI reports it (GET /call/:id), never from a number the caller sends; if VAPI cannot tell " +
            'by CALL_GRACE_SECONDS after the call’s maximum length, the whole hold is charged. A call already settled: 200 with `settled: false`, nothing changes. ' +
            '502 `bad_gateway`: VAPI could not be asked to hang up (nothing changed); 409 `conflict`: VAPI has not confirmed the call yet.',
        ),
        params: callIdParams,
        body: endCallBody,
        response: answers({ 200: endCallSettledResponse, 202: endCallEndingResponse }, 400, 401, 404, 409, 502),
      },
    },
    async (req, reply) => {
      const p = account(req);
      const seconds = req.body.durationSeconds;
      const out = await endCall(ctx.core, vapi, {
        userId: p.id,
        id: req.params.id,
        durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
      });
      if (out.kind === 'ending') return reply.status(202).send({ call: { id: publicCallId(out.call), status: 'ending' as const } });
      const bal = await ctx.core.ledger.balance(p.id);
      return reply.status(200).send({
        call: {
          id: publicCallId(out.call),
          status: out.call.status === 'failed' ? ('failed' as const) : ('ended' as const),
          durationSeconds: out.durationMs / 1000,
        },
        credits: {
          charged: mcToCredits(out.chargedMc),
          balance: mcToCredits(bal.balanceMc),
          available: mcToCredits(bal.availableMc),
          reserved: mcToCredits(bal.reservedMc),
        },
        settled: out.settled,
      });
    },
  );

  app.get(
    '/api/vapi/calls',
    {
      onRequest: ctx.authenticate,
      schema: {
        ...signedIn(
          'platform',
          "The caller's calls, newest first; `?status=open` for those not yet settled",
          'Paginated (`limit`, `cursor`). Each call with its status in VAPI’s words, its maximum and charged length in seconds, the credits charged so far and those still held. ' +
            '`status=open` lists the calls not yet settled (queued, in-progress, ending), so a client can offer to end them after a reload.',
        ),
        querystring: listCallsQuery,
        response: answers({ 200: callsPage }, 400, 401),
      },
    },
    async (req) =>
      ctx.cursors.answer(await listCalls(db, account(req).id, req.query, ctx.cursors.request(req.query, 'c', String)), 'c', toCall),
  );

  app.post(
    '/api/vapi/webhook',
    {
      schema: {
        tags: ['platform'],
        summary: 'VAPI server messages; an end-of-call-report settles its call once',
        description:
          'Needs `x-vapi-secret` = VAPI_WEBHOOK_SECRET. An end-of-call-report settles its call (found by `message.call.id`, or by `message.call.name`, the id the call was placed ' +
          'with, when VAPI’s id was never recorded) from its duration, never beyond the hold. Other messages, and reports of settled or unknown calls, change nothing.',
        body: vapiWebhookBody,
        response: answers({ 200: vapiWebhookResponse }, 400, 401),
      },
    },
    async (req) => {
      // Always required: VAPI_WEBHOOK_SECRET, or the one generated in DATA_DIR (none at all: refused).
      const secret = ctx.config.vapi.webhookSecret;
      if (!secret || !sameSecret(req.headers['x-vapi-secret'], secret)) {
        throw new HttpError('unauthorized', 'The x-vapi-secret header is missing or wrong.');
      }
      return { received: true, settled: await settleFromMessage(ctx.core, req.body.message) };
    },
  );
}
