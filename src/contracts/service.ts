/**
 * The service API, for the platform's other backends (shared/API.md part two): API keys
 * (admin), customers named by the platform's own id, usage one at a time and in batches,
 * and holds.
 */
import { z } from 'zod';
import { credits, freeText, nullableText, operationName, quantityInput } from './common.js';
import { unitSchema } from './credits.js';

// ---- API keys (admin) ----

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The first characters of the key (`ck_live_` and 6 more), to tell keys apart.' }),
    createdAt: z.string(),
    lastUsedAt: nullableText('Last use, to the minute (recorded at most once a minute per key and instance); null: never used.'),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const apiKeyCreateBody = z.object({ name: freeText({ min: 1, max: 100 }) }).strict();

export const apiKeyCreateResponse = z.object({
  apiKey: apiKeySchema.pick({ id: true, name: true, prefix: true, createdAt: true }),
  key: z.string().meta({ description: 'The key itself (`ck_live_...`). Shown this once: only its hash is stored.' }),
});

export const apiKeysList = z.object({ items: z.array(apiKeySchema) });

export const apiKeyRevokeResponse = z.object({ apiKey: apiKeySchema });

// ---- Customers ----

/** The platform's own id of an account (a user's `sub`). */
export const externalId = freeText({ min: 1, max: 255, trim: false }).meta({
  description: "The platform's own id of the customer (its users' `sub`): 1 to 255 characters, no control characters.",
});

export const customerParams = z.object({ externalId });

export const customerKind = z.enum(['personal', 'organization']);

export const customerBody = z
  .object({
    email: z.string().trim().max(254).pipe(z.email()).optional(),
    name: freeText({ min: 1, max: 100 }).optional(),
    kind: customerKind.optional().meta({
      description:
        'Absent: the existing customer’s kind, `personal` for a new one. A customer never changes kind: another kind than the existing one is 409.',
    }),
    owner: externalId.optional().meta({
      description:
        'Organisations only: a user (their external id, or user id) who is made an owner of the organisation (added, or promoted); 400 when no user has that id.',
    }),
  })
  .strict()
  .nullish();

export const customerSchema = z
  .object({ accountId: z.string(), externalId: z.string(), kind: customerKind, name: z.string() })
  .meta({ id: 'Customer' });

export const customerResponse = z.object({ customer: customerSchema });

// ---- Usage ----

/** What a platform attaches to usage: a JSON object of at most 4 KiB, kept on the usage row and shown in the history. */
export const usageMetadata = z
  .record(z.string(), z.unknown())
  .refine((m) => new TextEncoder().encode(JSON.stringify(m)).length <= 4096, { message: 'must be at most 4 KiB as JSON' })
  .meta({
    description:
      'Any JSON object up to 4 KiB; kept on the usage row and shown in the customer’s transaction history (`metadata` of the usage transaction).',
  });

const memberField = externalId.optional().meta({
  description:
    "For an organisation customer, the member who caused it: that user's external id (a platform token's `sub`; a user the platform never named may be given by their user id). They must be a member of the organisation (else 400); their charge or hold is recorded as theirs and counts against their monthly limit (402 `member_limit_exceeded` past it; in a batch, status `insufficient_credits` with that error code). On a personal customer `member` must be omitted or be the customer's own id.",
});

/** What a usage or a hold charges: whose credits (and which member's doing), for what, and how much. */
const chargeFields = {
  customer: externalId,
  member: memberField,
  operation: operationName,
  unit: unitSchema,
  quantity: quantityInput,
};

/** The customer's credits after a charge (a usage, or a hold's capture). */
const chargedCredits = z.object({ charged: credits, balance: credits, available: credits });

export const serviceUsageBody = z.object({ ...chargeFields, metadata: usageMetadata.optional() }).strict();

export const serviceUsageResponse = z.object({ usage: z.object({ id: z.string().nullable() }), credits: chargedCredits });

/** One event of a batch: a usage with its own id, idempotent by that id. */
export const usageEvent = serviceUsageBody.extend({
  id: freeText({ min: 1, max: 255, trim: false }).meta({
    description: 'The event’s own id: an id charged before (in any batch, by this API key) is a `duplicate` and charges nothing again.',
  }),
});

export const MAX_BATCH_EVENTS = 1000;

export const usageBatchBody = z
  .object({
    events: z
      .array(
        z.unknown().meta({
          description:
            'A usage event `{id, customer, member?, operation, unit, quantity, metadata?}`; each is validated on its own (a malformed one is `invalid`, the others go on).',
        }),
      )
      .min(1)
      .max(MAX_BATCH_EVENTS),
  })
  .strict();

export const batchStatus = z.enum(['charged', 'duplicate', 'insufficient_credits', 'invalid']);

export const usageBatchResponse = z.object({
  results: z.array(
    z.object({
      id: nullableText('The event’s id (null when the event had no usable id).'),
      status: batchStatus,
      charged: credits.optional(),
      usageId: z.string().nullable().optional(),
      error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }).optional(),
    }),
  ),
});

// ---- Holds ----

export const MAX_HOLD_TTL_SECONDS = 86_400;

const ttlSeconds = z.number().int().min(1).max(MAX_HOLD_TTL_SECONDS);

export const holdBody = z
  .object({
    ...chargeFields,
    ttlSeconds: ttlSeconds
      .default(900)
      .meta({ description: 'How long the hold lasts, 1 to 86,400 seconds (default 900); then the sweeper releases it.' }),
  })
  .strict();

export const holdStatus = z.enum(['held', 'captured', 'released', 'expired']);

export const holdResponse = z.object({
  hold: z.object({ id: z.string(), status: z.literal('held'), credits, expiresAt: z.string() }),
  credits: z.object({ reserved: credits, available: credits }),
});

export const holdParams = z.object({ id: z.string().min(1).max(100) });

export const captureBody = z.object({ quantity: quantityInput, metadata: usageMetadata.optional() }).strict();

export const captureResponse = z.object({
  hold: z.object({ id: z.string(), status: z.literal('captured'), credits, heldCredits: credits }),
  credits: chargedCredits,
});

export const releaseResponse = z.object({ hold: z.object({ id: z.string(), status: z.enum(['released', 'expired']) }) });

export const extendBody = z.object({ ttlSeconds }).strict();

export const extendResponse = z.object({ hold: z.object({ id: z.string(), status: holdStatus, expiresAt: z.string() }) });
