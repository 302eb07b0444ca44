import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errorSchema } from '../../../contracts/common.js';
import { chargeSchema } from '../../../contracts/credits.js';
import { DEFAULT_CALL_SECONDS, abandonCall, holdCall, markCallStarted } from '../../../core/calls/start-call.js';
import { settleCall } from '../../../core/calls/settle-call.js';
import { notFound } from '../../../core/errors.js';
import { mcToCredits, parseThousandths } from '../../../core/money.js';
import type { App, AppContext } from '../../app.js';
import { HttpError, errorBody } from '../../http-errors.js';
import { type Principal, principal } from '../../plugins/auth.js';
import { type StoredReply, sendReply } from '../../plugins/idempotency.js';

const startBody = z.object({
  phoneNumber: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551234567'),
  assistantId: z.string().min(1).max(100).optional(),
  maxDurationSeconds: z.number().int().min(60).max(4 * 3600).optional(),
});

const callResponse = z.object({
  call: z.object({ id: z.string(), status: z.string(), maxDurationSeconds: z.number().int() }),
  credits: chargeSchema.extend({ reserved: z.number() }),
});

const endBody = z.object({
  durationSeconds: z
    .number()
    .min(0)
    .max(24 * 3600)
    .refine((n) => parseThousandths(n) !== null, { message: 'at most 3 decimals' }),
});

const settledResponse = z.object({
  call: z.object({ id: z.string(), status: z.literal('ended'), durationSeconds: z.number() }),
  credits: z.object({ charged: z.number(), balance: z.number(), available: z.number(), reserved: z.number() }),
  settled: z.boolean(),
});

type StartRequest = FastifyRequest & { body: z.infer<typeof startBody> };

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

export async function vapiRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const vapi = ctx.services.vapi;
  if (!vapi) throw new Error('the VAPI client is missing from services');

  const settledBody = async (callId: string, userId: string, chargedMc: number, durationMs: number, settled: boolean) => {
    const bal = await ctx.core.ledger.balance(userId);
    return {
      call: { id: callId, status: 'ended' as const, durationSeconds: durationMs / 1000 },
      credits: { charged: mcToCredits(chargedMc), balance: mcToCredits(bal.balanceMc), available: mcToCredits(bal.availableMc), reserved: mcToCredits(bal.reservedMc) },
      settled,
    };
  };

  /** The final answer of a call start, from the call row (used for the first answer and replays). */
  const startReply = async (callId: string): Promise<StoredReply> => {
    const c = await db.selectFrom('vapi_calls').selectAll().where('id', '=', callId).executeTakeFirst();
    if (!c) throw notFound('Call');
    if (c.status === 'failed') return { status: 502, body: errorBody('bad_gateway', 'VAPI could not start the call; nothing was charged.') };
    if (c.status === 'starting' || !c.vapi_id) {
      // Only a duplicate racing on another instance sees this (one on this instance waits).
      return { status: 409, body: errorBody('idempotency_conflict', 'A request with this Idempotency-Key is still starting the call; retry shortly.') };
    }
    const hold = await db.selectFrom('reservations').select(['amount_mc']).where('id', '=', c.reservation_id).executeTakeFirst();
    const bal = await ctx.core.ledger.balance(c.user_id);
    const firstCharge = await db
      .selectFrom('usage_tracking')
      .select('charged_mc')
      .where('user_id', '=', c.user_id)
      .where('operation', '=', 'vapi_call')
      .where('unit', '=', 'per_call')
      .where('metadata', '=', JSON.stringify({ callId }))
      .executeTakeFirst();
    return {
      status: 201,
      body: {
        call: { id: c.vapi_id, status: c.status === 'ended' ? 'ended' : 'in-progress', maxDurationSeconds: c.max_duration_seconds },
        credits: {
          charged: mcToCredits(firstCharge?.charged_mc ?? 0),
          reserved: mcToCredits(hold?.amount_mc ?? 0),
          balance: mcToCredits(bal.balanceMc),
          available: mcToCredits(bal.availableMc),
        },
      },
    };
  };

  app.post(
    '/api/vapi/calls',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['platform'],
        summary: 'Start a VAPI call: charges vapi_call/per_call, holds per_minute for the affordable length',
        security: [{ bearer: [] }],
        body: startBody,
        response: { 201: callResponse, 400: errorSchema, 401: errorSchema, 402: errorSchema, 409: errorSchema, 502: errorSchema },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      // The whole start (hold, VAPI, final answer) under the key: a duplicate that arrives
      // meanwhile waits and replays the final answer.
      return ctx.idempotency.serialize(req, p.id, () => startCallFlow(req, reply, p));
    },
  );

  const startCallFlow = async (req: StartRequest, reply: FastifyReply, p: Principal) => {
      let callId: string | null = null;
      const r = await ctx.idempotency.run(
        req,
        {
          scope: p.id,
          // Stored with the key at commit; replaced by the final answer once VAPI has answered.
          render: (a) => ({ status: 201, body: { pendingCallId: (a.effects as { callId: string } | undefined)?.callId ?? callId } }),
        },
        async (idem) => {
          const hold = await holdCall(ctx.core, {
            userId: p.id,
            bypass: p.role === 'super_admin',
            phoneNumber: req.body.phoneNumber,
            assistantId: req.body.assistantId ?? null,
            maxDurationSeconds: req.body.maxDurationSeconds ?? DEFAULT_CALL_SECONDS,
            idem,
          });
          callId = hold.callId;
          return hold.applied;
        },
      );
      const pending = (r.body as { pendingCallId?: string } | null)?.pendingCallId;
      if (!pending) return sendReply(reply, r);
      if (!r.replayed) {
        try {
          const started = await vapi.startCall({
            phoneNumber: req.body.phoneNumber,
            assistantId: req.body.assistantId ?? null,
            maxDurationSeconds: (await db.selectFrom('vapi_calls').select('max_duration_seconds').where('id', '=', pending).executeTakeFirstOrThrow()).max_duration_seconds,
          });
          await markCallStarted(ctx.core, pending, started.id, vapi.simulated);
        } catch (e) {
          req.log.warn({ err: e }, 'VAPI did not start the call');
          await abandonCall(ctx.core, pending);
        }
      }
      const final = await startReply(pending);
      const call = await db.selectFrom('vapi_calls').select('idempotency_id').where('id', '=', pending).executeTakeFirst();
      if (call?.idempotency_id && final.status !== 409) {
        const row = await db.selectFrom('idempotency_keys').select('result').where('id', '=', call.idempotency_id).executeTakeFirst();
        if (row) {
          const stored = JSON.parse(row.result) as Record<string, unknown>;
          await ctx.core.writer.transaction(({ trx }) =>
            trx.updateTable('idempotency_keys').set({ result: JSON.stringify({ ...stored, reply: final }) }).where('id', '=', call.idempotency_id as string).execute(),
          );
        }
      }
      return sendReply(reply, { ...final, replayed: r.replayed ?? false });
  };

  app.post(
    '/api/vapi/calls/:id/end',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['platform'],
        summary: 'End a call by hand and settle it (owner only; a settled call changes nothing)',
        security: [{ bearer: [] }],
        params: z.object({ id: z.string().min(1).max(200) }),
        body: endBody,
        response: { 200: settledResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const p = principal(req);
      const r = await settleCall(ctx.core, req.params.id, Math.round(req.body.durationSeconds * 1000), { ownerId: p.id });
      if (!r) throw notFound('Call');
      return settledBody(req.params.id, p.id, r.chargedMc, r.durationMs, r.settled);
    },
  );

  app.post(
    '/api/vapi/webhook',
    {
      schema: {
        tags: ['platform'],
        summary: 'VAPI server messages; an end-of-call-report settles its call once',
        body: z.object({ message: z.object({ type: z.string().max(100), call: z.object({ id: z.string().max(200) }).passthrough().optional() }).passthrough() }).passthrough(),
        response: { 200: z.object({ received: z.boolean(), settled: z.boolean() }), 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => {
      const secret = ctx.config.vapi.webhookSecret;
      if (secret ? !secretMatches(req.headers['x-vapi-secret'], secret) : ctx.config.isProduction) {
        throw new HttpError('unauthorized', 'The x-vapi-secret header is missing or wrong.');
      }
      const m = req.body.message as Record<string, unknown> & { type: string; call?: { id: string } };
      if (m.type !== 'end-of-call-report' || !m.call?.id) return { received: true, settled: false };
      const duration = reportDurationMs(m);
      if (duration === null) return { received: true, settled: false };
      const r = await settleCall(ctx.core, m.call.id, duration);
      return { received: true, settled: r?.settled ?? false };
    },
  );
}
