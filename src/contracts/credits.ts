import { z } from 'zod';
import { UNIT_NAMES } from './money.js';
import { credits, nullableText, operationName, quantityInput } from './common.js';

export const unitSchema = z.enum(UNIT_NAMES as [string, ...string[]]).meta({
  description:
    'A metering unit; what a quantity of it counts (seconds, bytes, tokens or a count) is in the units table of the document description.',
});

/** A package of credits for sale: `credits` plus `bonusCredits` for `priceCents` in `currency`. */
export const packageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    credits,
    bonusCredits: credits,
    priceCents: z.number().int(),
    currency: z.string(),
    popular: z.boolean(),
    active: z.boolean(),
    /** Days the package's credits last after the payment succeeds; null: they never expire. */
    creditsExpireInDays: z.number().int().nullable(),
    /** Days the package's bonus lasts after the payment succeeds; null: it never expires. */
    bonusExpireInDays: z.number().int().nullable(),
  })
  .meta({ id: 'Package' });

/**
 * A price: `credits` per `unit` of `operation`. A new price is a new version (a new id);
 * the old one stays, inactive, for the usage charged at it.
 */
export const pricingRuleSchema = z
  .object({
    id: z.string(),
    operation: z.string(),
    unit: z.string(),
    credits,
    description: z.string(),
    active: z.boolean(),
    version: z.number().int(),
  })
  .meta({ id: 'PricingRule' });

export const estimateBody = z.object({
  operation: operationName,
  unit: unitSchema,
  quantity: quantityInput,
});

export const estimateResponse = z.object({ cost: credits, available: credits, allowed: z.boolean() });

/**
 * The figures of an account's credits, as the balance and the admins' lists of users and
 * organisations show them: the balance, the part of it holds reserve, what is left to
 * spend, and what was ever bought and used.
 */
export const balanceFields = {
  balance: credits,
  reserved: credits,
  available: credits,
  lifetimePurchased: credits,
  lifetimeUsed: credits,
};

/** The balance of an account (GET /api/credits/balance, and the stream's events). */
export const balanceSchema = z
  .object({
    ...balanceFields,
    unlimited: z.boolean(),
    expiringSoon: z
      .object({
        credits: credits.meta({ description: 'Credits of the balance whose grants expire within the next 30 days.' }),
        at: nullableText('The earliest of those expiries; null when nothing expires within 30 days.'),
      })
      .meta({ description: 'What of the balance expires in the next 30 days: `{credits: 0, at: null}` when nothing does.' }),
  })
  .meta({ id: 'Balance' });

/** The `credits` object of every metered response. */
export const chargeSchema = z
  .object({ charged: credits, balance: credits, available: credits, reserved: credits.optional() })
  .meta({ id: 'Charge' });

/** The packages for sale (GET /api/credits/packages), or every package (admins). */
export const packagesList = z.object({ items: z.array(packageSchema) });

/** The active pricing rules (GET /api/credits/pricing), or every version (admins). */
export const pricingRulesList = z.object({ items: z.array(pricingRuleSchema) });
