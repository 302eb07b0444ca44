/** VAPI calls: start, end, list, and VAPI's server messages. */
import { z } from 'zod';
import { parseThousandths } from './money.js';
import { credits, freeText, pageOf, paginationQuery } from './common.js';
import { chargeSchema } from './credits.js';
import { CALL_STATUSES } from './enums.js';

export const callStatusSchema = z.enum(CALL_STATUSES).meta({
  description:
    "In VAPI's words: queued (VAPI has not confirmed it yet, or holds it queued or ringing), in-progress (VAPI says so; a simulated call at once), ending (VAPI was asked to hang up; the charge follows from VAPI's figures), ended (settled), failed (never placed; nothing charged)",
});

export const startCallBody = z.object({
  phoneNumber: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551234567'),
  assistantId: freeText({ min: 1, max: 100 }).optional(),
  maxDurationSeconds: z
    .number()
    .int()
    .min(60)
    .max(4 * 3600)
    .optional(),
});

export const startCallResponse = z.object({
  call: z.object({
    id: z.string().meta({ description: 'The id VAPI knows the call by (`message.call.id` of its server messages)' }),
    status: callStatusSchema,
    maxDurationSeconds: z.number().int(),
  }),
  credits: chargeSchema.extend({ reserved: credits }),
});

export const callIdParams = z.object({ id: z.string().min(1).max(200) });

export const endCallBody = z
  .object({
    durationSeconds: z
      .number()
      .min(0)
      .max(24 * 3600)
      .refine((n) => parseThousandths(n) !== null, { message: 'must have at most 3 decimals' })
      .optional()
      .meta({
        description:
          'Simulated calls only: the length to charge (default: the time since the start, at most the maximum). Ignored for calls through VAPI, which are charged from VAPI’s own figures.',
      }),
  })
  // Optional: no body, or an empty one sent as JSON (which Fastify hands on as null), is `{}`.
  .nullish()
  .transform((b) => b ?? {});

export const endCallSettledResponse = z.object({
  call: z.object({ id: z.string(), status: z.enum(['ended', 'failed']), durationSeconds: z.number() }),
  credits: z.object({ charged: credits, balance: credits, available: credits, reserved: credits }),
  settled: z.boolean().meta({ description: 'False when the call was settled before this request: nothing changed' }),
});

export const endCallEndingResponse = z.object({
  call: z.object({ id: z.string(), status: z.literal('ending') }),
});

export const callSchema = z
  .object({
    id: z.string().meta({ description: "VAPI's id of the call; ours while VAPI has not confirmed it" }),
    status: callStatusSchema,
    phoneNumber: z.string(),
    maxDurationSeconds: z.number().int(),
    startedAt: z.string().meta({ description: 'When the call was started (asked of VAPI)' }),
    endedAt: z.string().nullable(),
    durationSeconds: z.number().nullable().meta({ description: 'The length charged, once settled' }),
    charged: credits.meta({ description: 'Credits charged for the call so far (start and minutes)' }),
    reserved: credits.meta({ description: 'Credits still held for its minutes' }),
  })
  .meta({ id: 'Call' });

export const listCallsQuery = paginationQuery.extend({
  status: z
    .enum(['open', ...CALL_STATUSES])
    .optional()
    .meta({ description: 'open: the calls not yet settled (queued, in-progress, ending)' }),
});

export const callsPage = pageOf(callSchema);

export const vapiWebhookBody = z
  .object({
    message: z
      .object({
        type: z.string().max(100),
        call: z
          .object({ id: z.string().max(200) })
          .passthrough()
          .optional()
          .meta({ description: 'The call as VAPI has it: `id` is VAPI’s id, `name` the id the service placed it with' }),
      })
      .passthrough(),
  })
  .passthrough();

export const vapiWebhookResponse = z.object({ received: z.boolean(), settled: z.boolean() });
