/** Promo codes (issue 17): what an admin creates and lists, and what a user redeems; and the liability report of the grants. */
import { z } from 'zod';
import { credits, dateRangeQuery, isoDate, isoMoment, pageOf, positiveCreditsInput } from './common.js';
import { grantSchema } from './credits-extra.js';

/**
 * A code as typed: letters, digits, `-` and `_`, 3 to 40 of them. Codes are matched without
 * regard to case (stored upper-case), so `summer25` redeems `SUMMER25`: a person reading a
 * code off a page should not have to get its case right.
 */
export const promoCodeText = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{3,40}$/, 'must be 3 to 40 letters, digits, - or _')
  .transform((s) => s.toUpperCase());

export const promoCodeCreate = z
  .object({
    code: promoCodeText,
    credits: positiveCreditsInput.meta({ description: 'Credits each redemption grants (more than 0).' }),
    expiresInDays: z
      .number()
      .int('must be a whole number of days')
      .min(1, 'must be at least 1 day')
      .max(3650, 'must be at most 3650 days')
      .nullable()
      .optional()
      .meta({ description: 'The lifetime of the grant a redemption creates, counted from the redemption; absent or null: never expires.' }),
    maxRedemptions: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1_000_000_000, 'must be at most 1,000,000,000')
      .nullable()
      .optional()
      .meta({ description: 'How many accounts may redeem it in all; absent or null: no limit.' }),
    validUntil: isoDate
      .refine((ms) => ms > Date.now(), { message: 'must be in the future' })
      .nullable()
      .optional()
      .meta({ description: 'The last moment the code can be redeemed (ISO-8601, in the future); absent or null: no end.' }),
  })
  .strict();

export const promoCodeSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    credits,
    expiresInDays: z.number().int().nullable(),
    maxRedemptions: z.number().int().nullable(),
    validUntil: z.string().nullable(),
    redemptions: z.number().int().meta({ description: 'How many accounts redeemed it so far.' }),
    active: z
      .boolean()
      .meta({ description: 'False once an admin deactivated it (PATCH /api/admin/promo-codes/:id): it can no longer be redeemed.' }),
    available: z.boolean().meta({ description: 'Whether it can still be redeemed now (active, not past validUntil, not used up).' }),
    createdAt: z.string(),
  })
  .meta({ id: 'PromoCode' });

export const promoCodeResponse = z.object({ promoCode: promoCodeSchema });

export const promoCodesList = pageOf(promoCodeSchema);

/** PATCH /api/admin/promo-codes/:id: `active` false deactivates the code (true makes it redeemable again). */
export const promoCodePatch = z
  .object({
    active: z.boolean().meta({ description: 'False: the code can no longer be redeemed (410 `promo_unavailable`); true: it can again.' }),
  })
  .strict();

export const redeemBody = z.object({ code: promoCodeText }).strict();

export const redeemResponse = z.object({
  grant: grantSchema,
  credits: z.object({ balance: credits, available: credits }),
});

const DAY_MS = 86_400_000;

const figure = z.object({ credits, valueCents: z.number().int() });

/** `?asOf=` a day (its end, UTC) or a date-time (as given, inclusive); `?from=&to=` the expiry period. */
export const liabilityQuery = z.object({
  asOf: isoMoment
    .transform(({ at, dateOnly }) => {
      const end = dateOnly ? at + DAY_MS : at;
      // Today's date (a date picker's default) is the day so far: now, not its future end. A
      // date-time is taken as given, so tomorrow's midnight stays in the future (400).
      return dateOnly && at <= Date.now() && end > Date.now() ? Date.now() : end - 1;
    })
    .refine((t) => t <= Date.now() + 60_000, { message: 'must not be in the future' })
    .optional()
    .meta({
      description:
        'The moment of the figures: an ISO-8601 date (the end of that UTC day; today: now) or a date-time (inclusive); default now. Not in the future.',
    }),
  ...dateRangeQuery,
});

export const liabilityResponse = z
  .object({
    asOf: z.string(),
    credits: credits.meta({ description: 'Prepaid credits outstanding at asOf: every grant’s remaining credits (held ones too).' }),
    valueCents: z
      .number()
      .int()
      .meta({ description: 'What they were bought for: each grant’s price spread over its credits (promotional grants at 0).' }),
    expiringNext30Days: figure.meta({ description: 'Of those, the grants expiring within 30 days after asOf.' }),
    expiredInPeriod: figure.meta({
      description: 'Credits that expired in the period (from inclusive, to exclusive), at their grants’ prices.',
    }),
    period: z.object({ from: z.string(), to: z.string() }).meta({
      description: 'The period of expiredInPeriod: ?from=&to=, by default the calendar month of asOf up to asOf.',
    }),
  })
  .meta({ id: 'Liability' });

/** GET /api/admin/liability.csv: the figures as CSV text. */
export const liabilityCsv = z.string();
