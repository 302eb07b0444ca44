/** Health, readiness and what the dashboard needs to know about the server. */
import { z } from 'zod';
import { PAYMENTS_PROVIDERS } from './enums.js';

/** How the scheduled backups of the embedded database go (`{enabled: false}` when off). */
export const backupsStatusSchema = z.union([
  z.object({ enabled: z.literal(false) }),
  z.object({
    enabled: z.literal(true),
    dir: z.string(),
    intervalSeconds: z.number(),
    keep: z.number().int(),
    running: z.boolean(),
    lastSuccessAt: z.string().nullable(),
    lastFailureAt: z.string().nullable(),
    lastError: z.string().nullable(),
    lastDurationMs: z.number().nullable(),
    lastSizeBytes: z.number().nullable(),
    lastFile: z.string().nullable(),
    consecutiveFailures: z.number().int(),
  }),
]);

export const liveResponse = z.object({ status: z.literal('ok') });

export const readyResponse = z.object({ status: z.literal('ok'), database: z.string(), backups: backupsStatusSchema });

export const notReadyResponse = z.object({
  status: z.enum(['unavailable', 'stopping', 'unmigrated']).meta({
    description:
      'unavailable: the database does not answer; stopping: the instance is shutting down; unmigrated: the database ' +
      "answers but lacks this release's schema (made again empty, or never migrated: run `credits migrate`)",
  }),
  database: z.string(),
  backups: backupsStatusSchema,
});

export const configResponse = z.object({
  paymentsProvider: z.enum(PAYMENTS_PROVIDERS),
  stripePublishableKey: z.string().nullable(),
  maxUploadMb: z.number(),
  callsSimulated: z
    .boolean()
    .meta({ description: 'True without a VAPI key: calls end with the duration given to POST /api/vapi/calls/:id/end' }),
  emailEnabled: z.boolean().meta({ description: 'Mail can be sent: the sign-in page offers "Forgot password?"' }),
  emailVerificationRequired: z.boolean(),
});
