/** Events out: webhook endpoints and their deliveries (shared/API.md "Events out"). */
import { z } from 'zod';
import { EVENT_TYPES, WEBHOOK_DELIVERY_STATUSES } from './enums.js';
import { nullableText, pageOf, paginationQuery } from './common.js';

export const eventTypeSchema = z.enum(EVENT_TYPES);

const endpointUrl = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
      } catch {
        return false;
      }
    },
    { message: 'must be an http or https URL without credentials' },
  )
  .meta({
    description:
      'Where events are POSTed. In production it must be https and not resolve to a private or loopback address (unless WEBHOOKS_ALLOW_PRIVATE=true).',
  });

const eventList = z
  .array(eventTypeSchema)
  .min(1)
  .max(EVENT_TYPES.length)
  .transform((l) => [...new Set(l)])
  .meta({ description: 'The event types sent to this endpoint.' });

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(eventTypeSchema),
    enabled: z.boolean(),
    source: z.enum(['admin', 'config']).meta({
      description:
        '`config`: the endpoint of ALERTS_WEBHOOK_URL, kept in step with the configuration at start-up (its URL and events cannot be changed here).',
    }),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const webhookEndpointCreate = z.object({ url: endpointUrl, events: eventList }).strict();

export const webhookEndpointCreated = z.object({
  endpoint: webhookEndpointSchema,
  secret: z.string().meta({ description: 'The `whsec_` signing secret, shown only in this answer.' }),
});

export const webhookEndpointPatch = z
  .object({ url: endpointUrl.optional(), events: eventList.optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((b) => b.url !== undefined || b.events !== undefined || b.enabled !== undefined, {
    message: 'must change at least one of url, events, enabled',
  });

export const webhookEndpointResponse = z.object({ endpoint: webhookEndpointSchema });

export const webhookEndpointsList = z.object({ items: z.array(webhookEndpointSchema) });

export const webhookAttemptSchema = z.object({
  at: z.string(),
  statusCode: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'The receiver’s status; null when none came (timeout, refused address, network error).' }),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    type: eventTypeSchema,
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    nextAttemptAt: nullableText('When the next attempt is due; null once succeeded or failed.'),
    createdAt: z.string(),
    attemptLog: z.array(webhookAttemptSchema).meta({ description: 'Every attempt, oldest first.' }),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookDeliveriesQuery = paginationQuery.extend({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() });

export const webhookDeliveriesPage = pageOf(webhookDeliverySchema);

export const webhookDeliveryParams = z.object({ id: z.string().min(1).max(100), deliveryId: z.string().min(1).max(100) });

export const webhookDeliveryResponse = z.object({ delivery: webhookDeliverySchema });

export const webhookEndpointDeleted = z.object({ id: z.string(), deleted: z.literal(true) });
