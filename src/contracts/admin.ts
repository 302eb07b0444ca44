import { z } from 'zod';
import { credits, creditsInput, dateRangeQuery, freeText, paginationQuery } from './common.js';
import { roleSchema } from './auth.js';
import { paymentStatus, transactionSchema } from './credits-extra.js';
import { unitSchema } from './credits.js';
import { operationName, positiveCreditsInput, nonNegativeCreditsInput } from './common.js';

export const adminUserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    balance: credits,
    reserved: credits,
    available: credits,
    lifetimePurchased: credits,
    lifetimeUsed: credits,
    createdAt: z.string(),
  })
  .meta({ id: 'AdminUser' });

export const adminUsersQuery = paginationQuery.extend({ search: freeText({ max: 200 }).optional() });

export const adjustmentBody = z.object({
  amount: creditsInput.refine((mc) => mc !== 0, { message: 'must not be 0' }),
  reason: freeText({ min: 1, max: 500 }),
});

export const roleBody = z.object({ role: roleSchema }).strict();

const currency = z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd').default('usd');

export const packageCreate = z
  .object({
    name: freeText({ min: 1, max: 100 }),
    credits: positiveCreditsInput,
    bonusCredits: nonNegativeCreditsInput.default(0),
    priceCents: z.number().int().min(50).max(100_000_000),
    currency,
    popular: z.boolean().default(false),
  })
  .strict();

export const packagePatch = z
  .object({
    name: freeText({ min: 1, max: 100 }),
    credits: positiveCreditsInput,
    bonusCredits: nonNegativeCreditsInput,
    priceCents: z.number().int().min(50).max(100_000_000),
    currency: z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd'),
    popular: z.boolean(),
    active: z.boolean(),
  })
  .partial()
  .strict();

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

export const adminPaymentsQuery = paginationQuery.extend({ status: paymentStatus.optional() });

export const refundBody = z.object({ amountCents: z.number().int().positive().max(100_000_000).optional() }).strict();

export const analyticsQuery = z.object(dateRangeQuery);

export const auditSchema = z
  .object({
    id: z.string(),
    actorId: z.string().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const userDetail = z.object({
  user: adminUserSchema,
  transactions: z.array(transactionSchema),
  payments: z.array(z.record(z.string(), z.unknown())),
});
