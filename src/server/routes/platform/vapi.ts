/**
 * VAPI calls over HTTP: start, end, list, and VAPI's server messages. Each route validates
 * with the contract, calls one use-case of core/calls and translates its outcome.
 */
import { timingSafeEqual } from 'node:crypto';
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
import { errorSchema } from '../../../contracts/common.js';
import { endCall } from '../../../core/calls/end-call.js';
import { type ListedCall, callStatusWord, listCalls } from '../../../core/calls/list-calls.js';
import { settleReportedCall } from '../../../core/calls/settle-call.js';
import { DEFAULT_CALL_SECONDS, type StartOutcome, startCall } from '../../../core/calls/start-call.js';
import { mcToCredits } from '../../../contracts/money.js';
import type { CallRow } from '../../../db/schema.js';
import { callsConfig } from '../../../config.js';
import type { App, AppContext } from '../../app.js';
import { HttpError, errorBody } from '../../http-errors.js';
import { principal } from '../../plugins/auth.js';
import { type StoredReply, sendReply } from '../../plugins/idempotency.js';

function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** VAPI's end-of-call report: duration from endedAt - startedAt, else durationSeconds (ms). */
export function reportDurationMs(m: Record<string, unknown>): number | null {
  const started = typeof m.startedAt === 'string' ? Date.parse(m.startedAt) : Number.NaN;
  const ended = typeof m.endedAt === 'string' ? Date.parse(m.endedAt) : Number.NaN;
  if (Number.isFinite(started) && Number.isFinite(ended) && ended >= started) return ended - started;
  if (typeof m.durationSeconds === 'number' && Number.isFinite(m.durationSeconds) && m.durationSeconds >= 0) {
    return Math.round(m.durationSeconds * 1000);
  }
  if (typeof m.durationMs === 'number' && Number.isFinite(m.durationMs) && m.durationMs >= 0) return Math.round(m.durationMs);
  return null;
}

/** The id the API shows for a call: VAPI's, or ours while VAPI has not confirmed it. */
const publicId = (c: CallRow) => c.vapi_id ?? c.id;

export function toCall(c: ListedCall) {
  return {
    id: publicId(c),
    status: callStatusWord(c.status),
    phoneNumber: c.phone_number,
    maxDurationSeconds: c.max_duration_seconds,
    startedAt: new Date(c.created_at).toISOString(),
    endedAt: c.ended_at === null ? null : new Date(c.ended_at).toISOString(),
    durationSeconds: c.duration_ms === null ? null : c.duration_ms / 1000,
    charged: mcToCredits(c.charged_mc ?? 0),
    reserved: mcToCredits(c.heldMc),
  };
}

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
        return { final: true, status: 502, body: errorBody('bad_gateway', 'VAPI could not start the call; nothing was charged.') };
      case 'in_flight':
        return {
          final: false,
          status: 409,
          body: errorBody('idempotency_conflict', 'A request with this Idempotency-Key is still starting this call; retry shortly.'),
        };
      case 'unconfirmed':
        return {
          final: false,
          status: 502,
          body: errorBody(
            'bad_gateway',
            'VAPI did not confirm the call. It may have been placed, so its credits stay held until VAPI tells; retry with the same Idempotency-Key (or list your calls) to learn the outcome.',
            { callId: c.id, status: callStatusWord(c.status) },
          ),
        };
      case 'started': {
        const hold = await db.selectFrom('reservations').select(['amount_mc']).where('id', '=', c.reservation_id).executeTakeFirst();
        const start = c.start_usage_id
          ? await db.selectFrom('usage_tracking').select('charged_mc').where('id', '=', c.start_usage_id).executeTakeFirst()
          : undefined;
        const bal = await ctx.core.ledger.balance(c.user_id);
        return {
          final: true,
          status: 201,
          body: {
            call: { id: publicId(c), status: callStatusWord(c.status), maxDurationSeconds: c.max_duration_seconds },
            credits: {
              charged: mcToCredits(start?.charged_mc ?? c.charged_mc ?? 0),
              reserved: mcToCredits(hold?.amount_mc ?? 0),
              balance: mcToCredits(bal.balanceMc),
              available: mcToCredits(bal.availableMc),
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
        tags: ['platform'],
        summary: 'Start a VAPI call: charges vapi_call/per_call, holds per_minute for the affordable length',
        description:
          'The attempt and its charge are recorded before VAPI is asked. 201: VAPI placed the call. 502 `bad_gateway`: VAPI refused it, and nothing is charged (hold released, start charge reversed); ' +
          'or VAPI did not confirm it (timed out, unreachable): the call may be live, so its credits stay held until VAPI tells (details.status `queued`), and a retry with the same ' +
          'Idempotency-Key answers the outcome once known. 409 `idempotency_conflict`: a request with the same key is still starting the call.',
        security: [{ bearer: [] }],
        body: startCallBody,
        response: { 201: startCallResponse, 400: errorSchema, 401: errorSchema, 402: errorSchema, 409: errorSchema, 502: errorSchema },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const r = await ctx.idempotency.runFlow(req, p.id, async (idem) =>
        startReply(
          await startCall(ctx.core, vapi, cfg, {
            userId: p.id,
            bypass: p.role === 'super_admin',
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
        tags: ['platform'],
        summary: 'End a call (owner only)',
        description:
          'Simulated calls settle at once for `durationSeconds` (200). Calls through VAPI: VAPI is asked to hang up and the answer is 202 with status `ending`; the call is then ' +
          "settled from VAPI's end-of-call report or, if none comes, from the call as VAPI reports it (GET /call/:id), never from a number the caller sends; if VAPI cannot tell " +
          'by CALL_GRACE_SECONDS after the call’s maximum length, the whole hold is charged. A call already settled: 200 with `settled: false`, nothing changes. ' +
          '502 `bad_gateway`: VAPI could not be asked to hang up (nothing changed); 409 `conflict`: VAPI has not confirmed the call yet.',
        security: [{ bearer: [] }],
        params: callIdParams,
        body: endCallBody,
        response: { 200: endCallSettledResponse, 202: endCallEndingResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 502: errorSchema },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const seconds = req.body.durationSeconds;
      const out = await endCall(ctx.core, vapi, { userId: p.id, id: req.params.id, durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000) });
      if (out.kind === 'ending') return reply.status(202).send({ call: { id: publicId(out.call), status: 'ending' as const } });
      const bal = await ctx.core.ledger.balance(p.id);
      return reply.status(200).send({
        call: { id: publicId(out.call), status: out.call.status === 'failed' ? ('failed' as const) : ('ended' as const), durationSeconds: out.durationMs / 1000 },
        credits: { charged: mcToCredits(out.chargedMc), balance: mcToCredits(bal.balanceMc), available: mcToCredits(bal.availableMc), reserved: mcToCredits(bal.reservedMc) },
        settled: out.settled,
      });
    },
  );

  app.get(
    '/api/vapi/calls',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['platform'],
        summary: "The caller's calls, newest first; `?status=open` for those not yet settled",
        description:
          'Paginated (`limit`, `cursor`). Each call with its status in VAPI’s words, its maximum and charged length in seconds, the credits charged so far and those still held. ' +
          '`status=open` lists the calls not yet settled (queued, in-progress, ending), so a client can offer to end them after a reload.',
        security: [{ bearer: [] }],
        querystring: listCallsQuery,
        response: { 200: callsPage, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => {
      const p = principal(req);
      const cursor = ctx.cursors.decode<{ c: string }>(req.query.cursor);
      const { rows, nextId } = await listCalls(db, p.id, { status: req.query.status, limit: req.query.limit, beforeId: cursor ? String(cursor.c) : undefined });
      return { items: rows.map(toCall), nextCursor: nextId === null ? null : ctx.cursors.encode({ c: nextId }) };
    },
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
        response: { 200: vapiWebhookResponse, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => {
      // Always required: VAPI_WEBHOOK_SECRET, or the one generated in DATA_DIR (none at all: refused).
      const secret = ctx.config.vapi.webhookSecret;
      if (!secret || !secretMatches(req.headers['x-vapi-secret'], secret)) {
        throw new HttpError('unauthorized', 'The x-vapi-secret header is missing or wrong.');
      }
      const m = req.body.message as Record<string, unknown> & { type: string; call?: { id: string; name?: unknown } };
      if (m.type !== 'end-of-call-report' || !m.call?.id) return { received: true, settled: false };
      const duration = reportDurationMs(m);
      if (duration === null) return { received: true, settled: false };
      const reference = typeof m.call.name === 'string' ? m.call.name : null;
      const r = await settleReportedCall(ctx.core, { vapiId: m.call.id, reference, durationMs: duration });
      return { received: true, settled: r?.settled ?? false };
    },
  );
}
