import { z } from 'zod';
import { roleSchema } from './auth.js';
import { type DISPUTE_STATUSES, WEBHOOK_EVENT_OUTCOMES } from './enums.js';
import {
  creditsInput,
  dateRangeQuery,
  freeText,
  isoDate,
  nonNegativeCreditsInput,
  nullableText,
  operationName,
  pageOf,
  paginationQuery,
  positiveCreditsInput,
  quantityOutput,
} from './common.js';
import { balanceFields, packageSchema, pricingRuleSchema, unitSchema } from './credits.js';
import { callSchema } from './calls.js';
import { alertSchema, paymentSchema, paymentStatus, settingsSchema, transactionSchema } from './credits-extra.js';

export const adminUserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    ...balanceFields,
    externalId: nullableText(
      "The platform's own id of the user (a platform token's `sub`, the service API's customer); null for a user of the built-in sign-in only.",
    ),
    createdAt: z.string(),
  })
  .meta({ id: 'AdminUser' });

export const adminUsersPage = pageOf(adminUserSchema);

export const adminUsersQuery = paginationQuery.extend({ search: freeText({ max: 200 }).optional() });

export const adjustmentBody = z
  .object({
    amount: creditsInput.refine((mc) => mc !== 0, { message: 'must not be 0' }),
    reason: freeText({ min: 1, max: 500 }),
    expiresAt: isoDate
      .refine((ms) => ms > Date.now(), { message: 'must be in the future' })
      .nullable()
      .optional()
      .meta({
        description:
          'When the credits given expire (an ISO-8601 date-time in the future; a past one is 400). Only for a positive amount; absent or null: they never expire.',
      }),
  })
  .refine((b) => b.expiresAt == null || b.amount > 0, {
    message: 'is only for credits given (a positive amount)',
    path: ['expiresAt'],
  });

export const adjustmentResponse = z.object({ transaction: transactionSchema, balance: z.record(z.string(), z.number()) });

export const roleBody = z.object({ role: roleSchema }).strict();

export const roleResponse = z.object({ user: adminUserSchema });

/** Days a package's credits (or bonus) last after the payment; null: never expire. */
const expireInDays = z
  .number()
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(3650, 'must be at most 3650 days')
  .nullable();

/**
 * The service keeps its books in one currency, API.md's `usd`: prices are integer cents, and
 * the revenue, refunds and liability an admin reads add cents together with no currency of
 * their own, so a package in another currency would be added to dollars as if it were one.
 * Any other code is refused (a currency Stripe counts in whole units, such as jpy, would be a
 * hundred times off besides).
 */
export const BOOKS_CURRENCY = 'usd';
const currencyCode = z
  .string()
  .regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd')
  .refine(
    (c) => c === BOOKS_CURRENCY,
    `must be ${BOOKS_CURRENCY}: the service keeps its accounts (revenue, refunds, liability) in one currency`,
  );
const currency = currencyCode.default('usd');

/** A package's price, in cents: at least $0.50 (Stripe's least charge in dollars), at most $1,000,000. */
export const PRICE_MIN_CENTS = 50;
export const PRICE_MAX_CENTS = 100_000_000;
const priceCents = z.number().int().min(PRICE_MIN_CENTS).max(PRICE_MAX_CENTS);

export const packageCreate = z
  .object({
    name: freeText({ min: 1, max: 100 }),
    credits: positiveCreditsInput,
    bonusCredits: nonNegativeCreditsInput.default(0),
    priceCents,
    currency,
    popular: z.boolean().default(false),
    creditsExpireInDays: expireInDays.default(null),
    bonusExpireInDays: expireInDays.default(null),
  })
  .strict();

export const packagePatch = z
  .object({
    name: freeText({ min: 1, max: 100 }),
    credits: positiveCreditsInput,
    bonusCredits: nonNegativeCreditsInput,
    priceCents,
    currency: currencyCode,
    popular: z.boolean(),
    active: z.boolean(),
    creditsExpireInDays: expireInDays,
    bonusExpireInDays: expireInDays,
  })
  .partial()
  .strict();

export const packageResponse = z.object({ package: packageSchema });

export const pricingCreate = z
  .object({
    operation: operationName,
    unit: unitSchema,
    credits: nonNegativeCreditsInput,
    description: freeText({ max: 200 }).optional(),
  })
  .strict();

export const pricingPatch = z
  .object({ credits: nonNegativeCreditsInput, description: freeText({ max: 200 }), active: z.boolean() })
  .partial()
  .strict();

export const ruleResponse = z.object({ rule: pricingRuleSchema });

const adminPaymentsFilter = {
  status: paymentStatus.optional(),
  userId: z.string().min(1).max(100).optional().meta({ description: 'Only this user’s payments.' }),
  ...dateRangeQuery,
};

export const adminPaymentsQuery = paginationQuery.extend(adminPaymentsFilter);

/** GET /api/admin/payments.csv: every payment under the same filters (not one page). */
export const adminPaymentsCsvQuery = z.object(adminPaymentsFilter);

/** GET /api/admin/payments.csv: the rows as CSV text. */
export const adminPaymentsCsv = z.string();

/** A payment as admins see it: whose it is, what Stripe knows it by, what went wrong, what was refunded or disputed. */
export const adminPaymentSchema = paymentSchema.extend({
  userId: z.string().meta({ description: 'The account that bought (a user’s id for a personal account, `org_...` for an organisation).' }),
  userEmail: nullableText(
    'The email of the personal account’s user; for an organisation’s payment, of the owner or admin who bought it (null for auto-recharge and for payments made before the buyer was recorded; see `accountName`).',
  ),
  accountKind: z.enum(['personal', 'organization']).meta({ description: 'Whose payment it is: a personal account or an organisation.' }),
  accountName: z.string().meta({ description: 'The account’s name: the user’s, or the organisation’s.' }),
  refundedCents: z.number(),
  stripePaymentIntentId: nullableText('The Stripe PaymentIntent (`pi_...`); null for simulated payments.'),
  failureReason: nullableText('Why it failed, in Stripe’s words (the intent’s last payment error).'),
  // A string, not an enum: OpenAPI 3.0's `nullable` does not add null to an enum's values.
  disputeStatus: (z.string() as z.ZodType<(typeof DISPUTE_STATUSES)[number]>)
    .nullable()
    .meta({ description: 'The dispute of its charge: `open`, `won` or `lost`; null when there was none.' }),
});

export const adminPaymentsPage = pageOf(adminPaymentSchema);

export const refundBody = z.object({ amountCents: z.number().int().positive().max(100_000_000).optional() }).strict();

export const refundResponse = z.object({ payment: paymentSchema.extend({ refundedCents: z.number() }) });

export const analyticsQuery = z.object(dateRangeQuery);

export const analyticsResponse = z.object({
  from: z.string(),
  to: z.string(),
  revenueCents: z.number().meta({
    description:
      'Paid payments made in the period, less the refunds and lost disputes of the period: each on the day it happened (a refund on the refund’s day, not the payment’s).',
  }),
  refundsCents: z.number().meta({ description: 'Refunds made in the period, whatever the day of their payment.' }),
  disputesCents: z.number().meta({ description: 'Disputed amounts of the disputes lost in the period.' }),
  creditsSold: z.number().meta({
    description: 'Credits and bonuses granted by payments in the period, less those taken back by refunds and lost disputes in the period.',
  }),
  creditsUsed: z.number(),
  activeUsers: z.number(),
  payments: z.object({ succeeded: z.number(), failed: z.number() }),
  byOperation: z.array(
    z.object({ operation: z.string(), unit: z.string(), credits: z.number(), operations: z.number(), quantity: quantityOutput }),
  ),
  series: z
    .array(
      z.object({
        bucket: z.string(),
        revenueCents: z.number(),
        refundsCents: z.number(),
        disputesCents: z.number(),
        creditsUsed: z.number(),
      }),
    )
    .meta({ description: 'By UTC day: net revenue (`revenueCents`), refunds, lost disputes and credits used.' }),
  byPackage: z.array(z.object({ packageId: z.string(), name: z.string(), payments: z.number(), revenueCents: z.number() })).meta({
    description: 'By package: its paid payments in the period and their net revenue (less the period’s refunds and lost disputes).',
  }),
  topAccounts: z
    .array(z.object({ accountId: z.string(), name: z.string(), creditsUsed: z.number() }))
    .meta({ description: 'The ten accounts that used the most credits in the period (`accountId`: the user’s id).' }),
});

export const auditSchema = z
  .object({
    id: z.string(),
    actorId: nullableText('The user who acted; null for the service itself (a Stripe event, the sweeper).'),
    actorEmail: nullableText('The acting user’s email (null for the service).'),
    actorName: nullableText('The acting user’s name (null for the service).'),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    targetUserId: nullableText('The user the entry concerns: the target user, or the payer of a target payment; else null.'),
    targetEmail: nullableText('That user’s email.'),
    targetName: nullableText(
      'The target in words: the user’s name, the package’s name, the pricing rule’s `operation unit`, the API key’s name or the webhook endpoint’s URL; null when it has none (or no longer exists).',
    ),
    details: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const auditPage = pageOf(auditSchema);

export const userDetail = z.object({
  user: adminUserSchema,
  transactions: z.array(transactionSchema),
  payments: z.array(paymentSchema),
  alerts: z.array(alertSchema).meta({ description: 'The user’s last 20 in-app alerts, newest first.' }),
  settings: settingsSchema.meta({ description: 'The user’s low-balance threshold and auto-recharge settings.' }),
  calls: z.array(callSchema).meta({ description: 'The user’s last 20 calls, newest first.' }),
});

/** A Stripe event the webhook received, and what it did. */
export const webhookEventSchema = z
  .object({
    id: z.string().meta({ description: 'Stripe’s event id (`evt_...`).' }),
    type: z.string(),
    receivedAt: z.string(),
    outcome: z.enum(WEBHOOK_EVENT_OUTCOMES).meta({
      description:
        '`applied`: it changed a payment (credits, status, refund, dispute); `ignored`: a type the service does not act on, an object Stripe does not know, or no payment to apply it to (see the audit log); `unrecorded`: received before outcomes were kept.',
    }),
    paymentId: nullableText('The payment it concerned, when one was found (or rebuilt from its PaymentIntent).'),
  })
  .meta({ id: 'WebhookEvent' });

export const webhookEventsPage = pageOf(webhookEventSchema);
