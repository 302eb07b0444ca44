/** The metered operations of the platform: messages, uploads, workflows, and metering by other backends. */
import { z } from 'zod';
import { freeText, operationName, quantityInput, quantityOutput } from './common.js';
import { chargeSchema, unitSchema } from './credits.js';

/** The longest recipient and message body, in characters (server/body-checks.ts checks the same by hand). */
export const MESSAGE_TO_MAX = 320;
export const MESSAGE_BODY_MAX = 10_000;

export const messageBody = z.object({
  to: freeText({ min: 1, max: MESSAGE_TO_MAX, trim: false }),
  body: freeText({ min: 1, max: MESSAGE_BODY_MAX, multiline: true, trim: false }),
});

export const messageResponse = z.object({
  message: z.object({ id: z.string(), to: z.string(), status: z.literal('sent'), createdAt: z.string() }),
  credits: chargeSchema,
});

export const uploadResponse = z.object({
  file: z.object({ id: z.string(), name: z.string(), size: z.number().int(), contentType: z.string() }),
  credits: chargeSchema,
});

export const workflowParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be 1 to 100 letters, digits, - or _') });

export const workflowBody = z.object({ input: z.unknown().optional() }).nullish();

export const workflowResponse = z.object({
  execution: z.object({ id: z.string(), workflowId: z.string(), status: z.string() }),
  credits: chargeSchema,
});

export const usageBody = z.object({
  userId: z.string().min(1).max(100),
  operation: operationName,
  unit: unitSchema,
  quantity: quantityInput,
  idempotencyKey: freeText({ min: 1, max: 255, trim: false }),
});

export const usageRecordResponse = z.object({
  usage: z.object({
    id: z.string().nullable(),
    userId: z.string(),
    operation: z.string(),
    unit: z.string(),
    quantity: quantityOutput,
    cost: z.number(),
  }),
  credits: chargeSchema,
});
