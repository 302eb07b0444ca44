import { z } from 'zod';
import { ALERT_TYPES, GRANT_SOURCES, GRANULARITIES, PAYMENT_PROVIDERS, PAYMENT_STATUSES, TRANSACTION_TYPES } from './enums.js';
import {
  credits,
  dateRangeQuery,
  nonNegativeCreditsInput,
  nullableText,
  pageOf,
  paginationQuery,
  positiveCreditsInput,
  quantityOutput,
} from './common.js';

export const transactionSchema = z
  .object({
    id: z.string(),
    type: z.enum(TRANSACTION_TYPES),
    amount: credits,
    reservedChange: credits,
    balanceAfter: credits,
    description: z.string(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    memberId: nullableText(
      'On an organisation’s account, the member (a user id) who caused the row: their charge, hold, or its capture or release; null on a personal account and for rows no member caused (purchases, adjustments).',
    ),
    createdAt: z.string(),
  })
  .meta({ id: 'Transaction' });

export const transactionsPage = pageOf(transactionSchema);

/** GET /api/credits/transactions.csv: the rows as CSV text. */
export const transactionsCsv = z.string();

const range = dateRangeQuery;

export const transactionsQuery = paginationQuery.extend({
  type: z.enum(TRANSACTION_TYPES).optional(),
  ...range,
});

export const transactionsCsvQuery = z.object({ type: z.enum(TRANSACTION_TYPES).optional(), ...range });

export const usageQuery = z.object({
  ...range,
  granularity: z.enum(GRANULARITIES).default('day'),
  groupBy: z
    .enum(['member'])
    .optional()
    .meta({ description: 'On an organisation’s account (`X-Account`), `member` adds `byMember`; on a personal account it is 400.' }),
});

/** GET /api/credits/usage.csv: the usage report as CSV text. */
export const usageCsv = z.string();

export const usageResponse = z.object({
  from: z.string(),
  to: z.string(),
  granularity: z.enum(GRANULARITIES),
  totalCredits: credits,
  totalOperations: z.number().int(),
  series: z.array(
    z.object({
      bucket: z.string(),
      credits,
      operations: z.number().int(),
      byOperation: z.record(z.string(), credits).meta({
        description:
          'The credits of the bucket by operation (every unit of it together), for a chart split by operation; operations without usage in the bucket are left out.',
      }),
    }),
  ),
  byOperation: z.array(
    z.object({ operation: z.string(), unit: z.string(), credits, operations: z.number().int(), quantity: quantityOutput }),
  ),
  byMember: z
    .array(
      z.object({
        memberId: nullableText('The member’s user id; null for usage no member was named for.'),
        name: z.string().nullable(),
        credits,
        operations: z.number().int(),
      }),
    )
    .optional()
    .meta({
      description:
        'With `groupBy=member`: the range’s usage by the member who caused it, most credits first (they add up to `totalCredits`); a removed member is still listed by name.',
    }),
});

export const grantSchema = z
  .object({
    id: z.string(),
    source: z.enum(GRANT_SOURCES),
    credits: credits.meta({ description: 'What the grant brought.' }),
    remaining: credits.meta({ description: 'What is left of it (part of the balance; holds may have reserved some).' }),
    expiresAt: nullableText('When its credits expire; null: never.'),
    expired: credits.meta({ description: 'What of it expired.' }),
    createdAt: z.string(),
  })
  .meta({ id: 'Grant' });

export const grantsQuery = paginationQuery.extend({
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .meta({ description: 'true: only grants with credits left that have not expired.' }),
});

export const grantsPage = z.object({ items: z.array(grantSchema), nextCursor: z.string().nullable() });

export const alertSchema = z
  .object({
    id: z.string(),
    type: z.enum(ALERT_TYPES),
    message: z.string(),
    read: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'Alert' });

export const alertsPage = z.object({
  items: z.array(alertSchema),
  nextCursor: z.string().nullable(),
  unread: z.number().int(),
});

export const alertReadResponse = z.object({ id: z.string(), read: z.literal(true) });

export const settingsSchema = z
  .object({
    lowBalanceThreshold: credits,
    autoRecharge: z.object({
      enabled: z.boolean(),
      thresholdCredits: credits.nullable(),
      packageId: z.string().nullable(),
    }),
  })
  .meta({ id: 'Settings' });

export const settingsUpdate = z
  .object({
    lowBalanceThreshold: nonNegativeCreditsInput.optional(),
    autoRecharge: z
      .object({
        enabled: z.boolean().optional(),
        thresholdCredits: positiveCreditsInput.nullable().optional(),
        packageId: z.string().min(1).max(100).nullable().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const paymentStatus = z.enum(PAYMENT_STATUSES);

/** What a purchase answers of its payment; a listed payment adds its package and date. */
const paymentFields = z.object({
  id: z.string(),
  status: paymentStatus,
  provider: z.enum(PAYMENT_PROVIDERS),
  amountCents: z.number().int(),
  currency: z.string(),
  credits,
});

export const paymentSchema = paymentFields
  .extend({
    packageId: z.string(),
    createdAt: z.string(),
    receiptUrl: nullableText(
      'Stripe’s receipt of the payment’s charge (the charge’s `receipt_url`), once it succeeded; null otherwise and for simulated payments.',
    ),
  })
  .meta({ id: 'Payment' });

/** A payment in the account's own list: with who bought it (on an organisation, one of its owners or admins). */
export const accountPaymentSchema = paymentSchema
  .extend({
    packageName: z.string().nullable().describe('The package’s name as it is now (an admin may rename it); null if its package is gone.'),
    refundedCents: z
      .number()
      .int()
      .describe('What was refunded of it so far, in cents (0 when nothing was; all of `amountCents` when `status` is `refunded`).'),
    boughtBy: z
      .object({ userId: z.string(), email: z.string(), name: z.string() })
      .nullable()
      .describe(
        'The user who bought the payment: on a personal account its user, on an organisation the owner or admin who paid. Null for auto-recharge, for payments made before the buyer was recorded, and when that user no longer exists.',
      ),
  })
  .meta({ id: 'AccountPayment' });

export const paymentsPage = pageOf(accountPaymentSchema);

export const purchaseBody = z.object({ packageId: z.string().min(1).max(100) });

export const purchaseResponse = z.object({ payment: paymentFields, clientSecret: z.string().nullable() });

/** What Stripe's webhook is answered: the outcome of applying the event. */
export const stripeWebhookResponse = z.object({ received: z.literal(true), outcome: z.string() });
