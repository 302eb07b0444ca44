/** Examples of the health, configuration, auth, setup and credits operations. */
import {
  type Example,
  T,
  ADMIN_ID,
  TOKEN,
  MAIL_REQUESTED,
  user,
  balance,
  perMinute,
  perMessage,
  usageRow,
  ledgerRows,
  packages,
  payment,
  settings,
  usageReport,
  alert,
} from './samples.js';

export const ACCOUNT_EXAMPLES: Record<string, Example> = {
  'GET /health/live': { response: { status: 200, body: { status: 'ok' } } },
  'GET /health/ready': { response: { status: 200, body: { status: 'ok', database: 'sqlite', backups: { enabled: false } } } },
  'GET /metrics': {
    response: {
      status: 200,
      type: 'text/plain',
      body: '# HELP credits_charged_total Credits charged by metered operations\n# TYPE credits_charged_total counter\ncredits_charged_total{operation="message"} 0.1\n',
    },
  },
  'GET /api/config': {
    response: {
      status: 200,
      body: {
        paymentsProvider: 'simulated',
        stripePublishableKey: null,
        maxUploadMb: 25,
        callsSimulated: true,
        emailEnabled: true,
        emailVerificationRequired: false,
      },
    },
  },
  'POST /api/auth/register': {
    request: { email: 'ada@example.com', password: 'correct-horse-battery', name: 'Ada Lovelace' },
    response: { status: 201, body: { user, token: TOKEN } },
  },
  'POST /api/auth/login': {
    request: { email: 'ada@example.com', password: 'correct-horse-battery' },
    response: { status: 200, body: { user, token: TOKEN } },
  },
  'GET /api/auth/me': { response: { status: 200, body: { user } } },
  'POST /api/auth/password': {
    request: { currentPassword: 'correct-horse-battery', newPassword: 'staple-lantern-orbit-42' },
    response: { status: 200, body: { user, token: TOKEN } },
  },
  'POST /api/auth/logout': { response: { status: 200, body: { status: 'signed_out' } } },
  'POST /api/auth/verify-email': {
    request: { token: 'q3JtVb0mKc5wXy8Zp1LdRfGhTnEs9aUiOkB2jC4vM7Q' },
    response: { status: 200, body: { user, token: TOKEN } },
  },
  'POST /api/auth/verify-email/resend': { request: { email: 'ada@example.com' }, response: { status: 202, body: MAIL_REQUESTED } },
  'POST /api/auth/forgot-password': { request: { email: 'ada@example.com' }, response: { status: 202, body: MAIL_REQUESTED } },
  'POST /api/auth/reset-password': {
    request: { token: 'Zx8Wv2Lk5Qm9Rt1Yp4Nc7Hb3Gd6Fs0Ja2Ue5Ko8Ti1M', password: 'amber-kestrel-violin-92' },
    response: { status: 200, body: { user, token: TOKEN } },
  },
  'GET /api/setup': { response: { status: 200, body: { required: true, builtin: true } } },
  'POST /api/setup': {
    request: {
      token: 'Jq0mV1mYl3nR1w3c0g5b5Hq2s9Qe8yD4kP7tX6uZaB0',
      email: 'grace@example.com',
      password: 'cobol-forever-1959',
      name: 'Grace Hopper',
    },
    response: {
      status: 201,
      body: { user: { id: ADMIN_ID, email: 'grace@example.com', name: 'Grace Hopper', role: 'super_admin', createdAt: T }, token: TOKEN },
    },
  },
  'GET /api/credits/balance': { response: { status: 200, body: balance } },
  'GET /api/credits/packages': { response: { status: 200, body: { items: packages } } },
  'GET /api/credits/pricing': { response: { status: 200, body: { items: [perMessage, perMinute] } } },
  'POST /api/credits/estimate': {
    request: { operation: 'vapi_call', unit: 'per_minute', quantity: 90.5 },
    response: { status: 200, body: { cost: 0.755, available: 546.4, allowed: true } },
  },
  'GET /api/credits/transactions': {
    response: { status: 200, body: { items: ledgerRows, nextCursor: 'eyJpZCI6IjAxYTIyNDVlIn0.c2ln' } },
  },
  'GET /api/credits/grants': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: '01a2245e-c000-7000-8000-000000000031',
            source: 'bonus',
            credits: 50,
            remaining: 50,
            expiresAt: '2027-02-26T22:54:55.729Z',
            expired: 0,
            createdAt: T,
          },
          {
            id: '01a2245e-c000-7000-8000-000000000030',
            source: 'purchase',
            credits: 500,
            remaining: 499.9,
            expiresAt: null,
            expired: 0,
            createdAt: T,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/credits/transactions.csv': {
    response: {
      status: 200,
      type: 'text/csv',
      body: `id,createdAt,type,amount,reservedChange,balanceAfter,description,metadata,memberId\n${usageRow.id},${T},usage,-0.1,0,549.9,Message (per message),"{""operation"":""message"",""unit"":""per_message"",""quantity"":1}",\n`,
    },
  },
  'GET /api/credits/usage': { response: { status: 200, body: usageReport } },
  'GET /api/credits/usage.csv': {
    response: {
      status: 200,
      type: 'text/csv',
      body: 'bucket,operation,unit,operations,quantity,credits\n2026-11-28T00:00:00.000Z,message,per_message,1,1,0.1\n2026-11-28T00:00:00.000Z,vapi_call,per_call,1,1,1\n2026-11-28T00:00:00.000Z,vapi_call,per_minute,1,90.5,0.755\n',
    },
  },
  'GET /api/credits/alerts': {
    response: {
      status: 200,
      body: {
        items: [alert],
        nextCursor: null,
        unread: 1,
      },
    },
  },
  'POST /api/credits/alerts/{id}/read': { response: { status: 200, body: { id: alert.id, read: true } } },
  'GET /api/credits/settings': { response: { status: 200, body: settings } },
  'PUT /api/credits/settings': {
    request: { autoRecharge: { enabled: true, thresholdCredits: 20, packageId: 'pkg_starter' } },
    response: { status: 200, body: settings },
  },
  'GET /api/credits/holds': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: '01a2245e-7000-7000-8000-0000000000c1',
            kind: 'service',
            description: 'Hold: AI interview (per_minute)',
            operation: 'ai_interview',
            unit: 'per_minute',
            credits: 10,
            createdAt: '2026-05-04T10:00:00.000Z',
            expiresAt: '2026-05-04T10:15:00.000Z',
            callId: null,
          },
          {
            id: '01a2245e-7000-7000-8000-0000000000c0',
            kind: 'call',
            description: 'Call minutes held (up to 600 s)',
            operation: 'vapi_call',
            unit: 'per_minute',
            credits: 5,
            createdAt: '2026-05-04T09:58:00.000Z',
            expiresAt: '2026-05-05T10:08:00.000Z',
            callId: 'call_3f9c2a',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/credits/payments': {
    response: {
      status: 200,
      body: {
        items: [
          { ...payment, packageName: 'Professional', refundedCents: 0, boughtBy: { userId: user.id, email: user.email, name: user.name } },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/credits/purchase': {
    request: { packageId: 'pkg_professional' },
    response: {
      status: 201,
      body: {
        payment: { id: payment.id, status: 'succeeded', provider: 'simulated', amountCents: 4500, currency: 'usd', credits: 550 },
        clientSecret: null,
      },
    },
  },
  'GET /api/credits/stream': {
    response: {
      status: 200,
      type: 'text/event-stream',
      body: `event: balance\ndata: ${JSON.stringify(balance)}\n\n`,
    },
  },
};
