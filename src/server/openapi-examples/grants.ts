/** Examples of the promo codes (admin and redeem) and of the liability report. */
import { type Example, T } from './samples.js';

const promoCode = {
  id: 'promo_01a2245e-c000-7000-8000-000000000040',
  code: 'SUMMER25',
  credits: 25,
  expiresInDays: 30,
  maxRedemptions: 500,
  validUntil: '2027-08-31T23:59:59.000Z',
  redemptions: 0,
  active: true,
  available: true,
  createdAt: T,
};

export const GRANTS_EXAMPLES: Record<string, Example> = {
  'POST /api/admin/promo-codes': {
    request: { code: 'SUMMER25', credits: 25, expiresInDays: 30, maxRedemptions: 500, validUntil: '2027-08-31T23:59:59.000Z' },
    response: { status: 201, body: { promoCode } },
  },
  'GET /api/admin/promo-codes': {
    response: { status: 200, body: { items: [{ ...promoCode, redemptions: 212 }], nextCursor: null } },
  },
  'PATCH /api/admin/promo-codes/{id}': {
    request: { active: false },
    response: { status: 200, body: { promoCode: { ...promoCode, redemptions: 212, active: false, available: false } } },
  },
  'POST /api/credits/redeem': {
    request: { code: 'summer25' },
    response: {
      status: 201,
      body: {
        grant: {
          id: '01a2245e-c000-7000-8000-000000000041',
          source: 'promo',
          credits: 25,
          remaining: 25,
          expiresAt: '2027-01-01T12:00:00.000Z',
          expired: 0,
          createdAt: T,
        },
        credits: { balance: 574.9, available: 574.9 },
      },
    },
  },
  'GET /api/admin/liability': {
    response: {
      status: 200,
      body: {
        asOf: '2026-11-30T23:59:59.999Z',
        credits: 12840.5,
        valueCents: 98450,
        expiringNext30Days: { credits: 1500, valueCents: 9000 },
        expiredInPeriod: { credits: 220, valueCents: 1100 },
        period: { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
      },
    },
  },
  'GET /api/admin/liability.csv': {
    response: {
      status: 200,
      type: 'text/csv',
      body: 'asOf,figure,from,to,credits,valueCents\n2026-11-30T23:59:59.999Z,outstanding,,,12840.5,98450\n2026-11-30T23:59:59.999Z,expiring_next_30_days,,,1500,9000\n2026-11-30T23:59:59.999Z,expired_in_period,2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,220,1100\n',
    },
  },
};
