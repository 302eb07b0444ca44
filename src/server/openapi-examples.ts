/**
 * An example request and answer for every operation of the OpenAPI document, added to
 * it by `decorateDocument` (test/api/openapi.test.ts checks each against its schema).
 * Keyed by "METHOD /path" as the document names the path.
 */
import { SERVICE_EXAMPLES } from './openapi-examples-service.js';

interface Example {
  /** The request body (JSON unless `requestType` says otherwise). */
  request?: unknown;
  requestType?: string;
  /** The success answer: its status, content type (JSON by default) and body. */
  response: { status: number; type?: string; body: unknown };
}

const T = '2026-11-28T22:54:55.729Z';
const USER_ID = '01a2245e-5e6b-7000-9669-e60b9a4ba1cb';
const ADMIN_ID = '01a2245e-1f52-7000-b5f0-7be5acb6121b';
const TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMWEyMjQ1ZS01ZTZiLTcwMDAtOTY2OS1lNjBiOWE0YmExY2IiLCJpYXQiOjE3OTYxMjgyOTMsImV4cCI6MTc5NjczMzA5M30.3m4x-signature';

const MAIL_REQUESTED = {
  status: 'accepted',
  message: 'If this address can receive it, a mail with a link is on its way. The link works once.',
};
const user = { id: USER_ID, email: 'ada@example.com', name: 'Ada Lovelace', role: 'user', createdAt: T };
const balance = { balance: 548.9, reserved: 2.5, available: 546.4, lifetimePurchased: 550, lifetimeUsed: 1.1, unlimited: false };
const charge = { charged: 0.1, balance: 549.9, available: 549.9 };
const professional = {
  id: 'pkg_professional',
  name: 'Professional',
  credits: 500,
  bonusCredits: 50,
  priceCents: 4500,
  currency: 'usd',
  popular: true,
  active: true,
};
const starter = {
  id: 'pkg_starter',
  name: 'Starter',
  credits: 100,
  bonusCredits: 0,
  priceCents: 1000,
  currency: 'usd',
  popular: false,
  active: true,
};
const perMinute = {
  id: 'rule_vapi_call_per_minute',
  operation: 'vapi_call',
  unit: 'per_minute',
  credits: 0.5,
  description: 'Call duration',
  active: true,
  version: 1,
};
const perMessage = {
  id: 'rule_message_per_message',
  operation: 'message',
  unit: 'per_message',
  credits: 0.1,
  description: 'Message',
  active: true,
  version: 1,
};
const usageRow = {
  id: '01a2245e-64ef-7001-a5ae-18d90a4bd065',
  type: 'usage',
  amount: -0.1,
  reservedChange: 0,
  balanceAfter: 549.9,
  description: 'Message (per message)',
  metadata: { operation: 'message', unit: 'per_message', quantity: 1 },
  createdAt: T,
};
const purchaseRow = {
  id: '01a2245e-64b9-7000-a02c-de17756cc7b5',
  type: 'purchase',
  amount: 500,
  reservedChange: 0,
  balanceAfter: 500,
  description: 'Credit purchase',
  metadata: { paymentId: '01a2245e-64b9-7000-a02c-de17756cc7b4' },
  createdAt: T,
};
const payment = {
  id: '01a2245e-64b9-7000-a02c-de17756cc7b4',
  status: 'succeeded',
  provider: 'simulated',
  amountCents: 4500,
  currency: 'usd',
  credits: 550,
  packageId: 'pkg_professional',
  createdAt: T,
  receiptUrl: null,
};
const adminUser = {
  ...user,
  balance: 548.9,
  reserved: 2.5,
  available: 546.4,
  lifetimePurchased: 550,
  lifetimeUsed: 1.1,
  externalId: 'auth0|6560a1',
};
const settings = { lowBalanceThreshold: 10, autoRecharge: { enabled: true, thresholdCredits: 20, packageId: 'pkg_starter' } };

const webhookEndpoint = {
  id: 'we_01a2245e8a1c70009c4e2b1d5f3a7c90',
  url: 'https://platform.example.com/hooks/credits',
  events: ['credits.purchased', 'balance.low'],
  enabled: true,
  source: 'admin',
  createdAt: T,
};
const webhookDelivery = {
  id: '01a2245e-9b10-7000-8a3e-5c2d1f0e4b7a',
  eventId: 'evt_01a2245e9b0f70008d1c3e5a7b9f2d40',
  type: 'credits.purchased',
  status: 'succeeded',
  attempts: 2,
  lastStatusCode: 200,
  nextAttemptAt: null,
  createdAt: T,
  attemptLog: [
    { at: T, statusCode: 503, error: 'answered 503', durationMs: 41 },
    { at: '2026-11-28T22:55:00.812Z', statusCode: 200, error: null, durationMs: 38 },
  ],
};

export const EXAMPLES: Record<string, Example> = {
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
  'GET /api/setup': { response: { status: 200, body: { required: true } } },
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
  'GET /api/credits/packages': { response: { status: 200, body: { items: [starter, professional] } } },
  'GET /api/credits/pricing': { response: { status: 200, body: { items: [perMessage, perMinute] } } },
  'POST /api/credits/estimate': {
    request: { operation: 'vapi_call', unit: 'per_minute', quantity: 90.5 },
    response: { status: 200, body: { cost: 0.755, available: 546.4, allowed: true } },
  },
  'GET /api/credits/transactions': {
    response: { status: 200, body: { items: [usageRow, purchaseRow], nextCursor: 'eyJpZCI6IjAxYTIyNDVlIn0.c2ln' } },
  },
  'GET /api/credits/transactions.csv': {
    response: {
      status: 200,
      type: 'text/csv',
      body: `id,createdAt,type,amount,reservedChange,balanceAfter,description,metadata\n${usageRow.id},${T},usage,-0.1,0,549.9,Message (per message),"{""operation"":""message"",""unit"":""per_message"",""quantity"":1}"\n`,
    },
  },
  'GET /api/credits/usage': {
    response: {
      status: 200,
      body: {
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-12-01T00:00:00.000Z',
        granularity: 'day',
        totalCredits: 1.855,
        totalOperations: 3,
        series: [{ bucket: '2026-11-28T00:00:00.000Z', credits: 1.855, operations: 3 }],
        byOperation: [
          { operation: 'vapi_call', unit: 'per_call', credits: 1, operations: 1, quantity: 1 },
          { operation: 'vapi_call', unit: 'per_minute', credits: 0.755, operations: 1, quantity: 90.5 },
          { operation: 'message', unit: 'per_message', credits: 0.1, operations: 1, quantity: 1 },
        ],
      },
    },
  },
  'GET /api/credits/alerts': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: '01a2245e-7000-7000-8000-000000000001',
            type: 'low_balance',
            message: 'Your available balance fell below 10 credits.',
            read: false,
            createdAt: T,
          },
        ],
        nextCursor: null,
        unread: 1,
      },
    },
  },
  'POST /api/credits/alerts/{id}/read': { response: { status: 200, body: { id: '01a2245e-7000-7000-8000-000000000001', read: true } } },
  'GET /api/credits/settings': { response: { status: 200, body: settings } },
  'PUT /api/credits/settings': {
    request: { autoRecharge: { enabled: true, thresholdCredits: 20, packageId: 'pkg_starter' } },
    response: { status: 200, body: settings },
  },
  'GET /api/credits/payments': { response: { status: 200, body: { items: [payment], nextCursor: null } } },
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
  'POST /api/messages': {
    request: { to: '+15551234567', body: 'Hello! Are you available for a short interview this week?' },
    response: { status: 201, body: { message: { id: usageRow.id, to: '+15551234567', status: 'sent', createdAt: T }, credits: charge } },
  },
  'POST /api/vapi/calls': {
    request: { phoneNumber: '+15551234567', maxDurationSeconds: 300 },
    response: {
      status: 201,
      body: {
        call: { id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08', status: 'in-progress', maxDurationSeconds: 300 },
        credits: { charged: 1, reserved: 2.5, balance: 548.9, available: 546.4 },
      },
    },
  },
  'POST /api/vapi/calls/{id}/end': {
    request: { durationSeconds: 90.5 },
    response: {
      status: 200,
      body: {
        call: { id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08', status: 'ended', durationSeconds: 90.5 },
        credits: { charged: 0.755, balance: 548.145, available: 548.145, reserved: 0 },
        settled: true,
      },
    },
  },
  'GET /api/vapi/calls': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08',
            status: 'in-progress',
            phoneNumber: '+15551234567',
            maxDurationSeconds: 300,
            startedAt: T,
            endedAt: null,
            durationSeconds: null,
            charged: 1,
            reserved: 2.5,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/vapi/webhook': {
    request: {
      message: {
        type: 'end-of-call-report',
        call: { id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08' },
        startedAt: '2026-11-28T10:00:00.000Z',
        endedAt: '2026-11-28T10:01:01.000Z',
      },
    },
    response: { status: 200, body: { received: true, settled: true } },
  },
  'POST /api/files': {
    requestType: 'multipart/form-data',
    request: { file: '(the file’s bytes; resume.pdf, 1572864 bytes)' },
    response: {
      status: 201,
      body: {
        file: { id: '01a2245e-8000-7000-8000-000000000002', name: 'resume.pdf', size: 1_572_864, contentType: 'application/pdf' },
        credits: { charged: 0.375, balance: 549.525, available: 549.525 },
      },
    },
  },
  'POST /api/workflows/{id}/execute': {
    request: { input: { candidateId: 'c-42' } },
    response: {
      status: 201,
      body: {
        execution: { id: '01a2245e-9000-7000-8000-000000000003', workflowId: 'candidate-screening', status: 'completed' },
        credits: { charged: 0.75, balance: 548.775, available: 548.775 },
      },
    },
  },
  'POST /api/usage': {
    request: { userId: USER_ID, operation: 'ai_interview', unit: 'per_minute', quantity: 120, idempotencyKey: 'interview-7f3a-report' },
    response: {
      status: 201,
      body: {
        usage: {
          id: '01a2245e-a000-7000-8000-000000000004',
          userId: USER_ID,
          operation: 'ai_interview',
          unit: 'per_minute',
          quantity: 120,
          cost: 2,
        },
        credits: { charged: 2, balance: 546.9, available: 544.4 },
      },
    },
  },
  'GET /api/admin/users': { response: { status: 200, body: { items: [adminUser], nextCursor: null } } },
  'GET /api/admin/users/{id}': {
    response: { status: 200, body: { user: adminUser, transactions: [usageRow, purchaseRow], payments: [payment] } },
  },
  'PATCH /api/admin/users/{id}': { request: { role: 'admin' }, response: { status: 200, body: { user: { ...adminUser, role: 'admin' } } } },
  'POST /api/admin/users/{id}/adjustments': {
    request: { amount: 10, reason: 'Goodwill credit for a failed call' },
    response: {
      status: 201,
      body: {
        transaction: {
          id: '01a2245e-b000-7000-8000-000000000005',
          type: 'adjustment',
          amount: 10,
          reservedChange: 0,
          balanceAfter: 558.9,
          description: 'Goodwill credit for a failed call',
          metadata: { reason: 'Goodwill credit for a failed call', actorId: ADMIN_ID },
          createdAt: T,
        },
        balance: { balance: 558.9, reserved: 2.5, available: 556.4 },
      },
    },
  },
  'GET /api/admin/packages': {
    response: { status: 200, body: { items: [starter, professional, { ...starter, id: 'pkg_trial', name: 'Trial', active: false }] } },
  },
  'POST /api/admin/packages': {
    request: { name: 'Team', credits: 2000, bonusCredits: 200, priceCents: 15000, currency: 'usd', popular: false },
    response: {
      status: 201,
      body: {
        package: {
          id: 'pkg_01a2245e-c000-7000-8000-000000000006',
          name: 'Team',
          credits: 2000,
          bonusCredits: 200,
          priceCents: 15000,
          currency: 'usd',
          popular: false,
          active: true,
        },
      },
    },
  },
  'PATCH /api/admin/packages/{id}': {
    request: { active: false },
    response: { status: 200, body: { package: { ...starter, active: false } } },
  },
  'GET /api/admin/pricing': {
    response: {
      status: 200,
      body: { items: [perMessage, { ...perMinute, id: 'rule_old', credits: 0.4, active: false }, { ...perMinute, version: 2 }] },
    },
  },
  'POST /api/admin/pricing': {
    request: { operation: 'reference_check', unit: 'per_candidate', credits: 1.5, description: 'Reference check' },
    response: {
      status: 201,
      body: {
        rule: {
          id: 'rule_01a2245e-d000-7000-8000-000000000007',
          operation: 'reference_check',
          unit: 'per_candidate',
          credits: 1.5,
          description: 'Reference check',
          active: true,
          version: 1,
        },
      },
    },
  },
  'PATCH /api/admin/pricing/{id}': {
    request: { credits: 0.6 },
    response: { status: 200, body: { rule: { ...perMinute, id: 'rule_01a2245e-e000-7000-8000-000000000008', credits: 0.6, version: 2 } } },
  },
  'GET /api/admin/payments': {
    response: {
      status: 200,
      body: {
        items: [
          {
            ...payment,
            provider: 'stripe',
            status: 'partially_refunded',
            receiptUrl: 'https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xexample',
            userId: USER_ID,
            userEmail: 'ada@example.com',
            refundedCents: 1500,
            stripePaymentIntentId: 'pi_3QF0example',
            failureReason: null,
            disputeStatus: null,
          },
          {
            ...payment,
            id: '01a2245e-64b9-7000-a02c-de17756cc7b5',
            provider: 'stripe',
            status: 'failed',
            userId: USER_ID,
            userEmail: 'ada@example.com',
            refundedCents: 0,
            stripePaymentIntentId: 'pi_3QF1example',
            failureReason: 'Your card was declined.',
            disputeStatus: null,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/admin/payments.csv': {
    response: {
      status: 200,
      type: 'text/csv',
      body: `id,createdAt,userId,userEmail,status,provider,packageId,amountCents,currency,credits,refundedCents,disputeStatus,stripePaymentIntentId,failureReason,receiptUrl\n01a2245e-64b9-7000-a02c-de17756cc7b5,${T},${USER_ID},ada@example.com,failed,stripe,pkg_professional,4500,usd,550,0,,pi_3QF1example,Your card was declined.,\n`,
    },
  },
  'POST /api/admin/payments/{id}/refund': {
    request: { amountCents: 1500 },
    response: { status: 200, body: { payment: { ...payment, status: 'partially_refunded', refundedCents: 1500 } } },
  },
  'GET /api/admin/analytics': {
    response: {
      status: 200,
      body: {
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-12-01T00:00:00.000Z',
        revenueCents: 3000,
        refundsCents: 1500,
        disputesCents: 0,
        creditsSold: 366.667,
        creditsUsed: 1.855,
        activeUsers: 1,
        payments: { succeeded: 1, failed: 0 },
        byOperation: [{ operation: 'vapi_call', unit: 'per_minute', credits: 0.755, operations: 1, quantity: 90.5 }],
        series: [
          { bucket: '2026-11-28T00:00:00.000Z', revenueCents: 4500, refundsCents: 0, disputesCents: 0, creditsUsed: 1.855 },
          { bucket: '2026-11-29T00:00:00.000Z', revenueCents: -1500, refundsCents: 1500, disputesCents: 0, creditsUsed: 0 },
        ],
        byPackage: [{ packageId: 'pkg_professional', name: 'Professional', payments: 1, revenueCents: 3000 }],
        topAccounts: [{ accountId: USER_ID, name: 'Ada Lovelace', creditsUsed: 1.855 }],
      },
    },
  },
  'GET /api/admin/audit': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: '01a2245e-f000-7000-8000-000000000009',
            actorId: ADMIN_ID,
            actorEmail: 'root@example.com',
            actorName: 'Root Admin',
            action: 'credits.adjust',
            targetType: 'user',
            targetId: USER_ID,
            targetUserId: USER_ID,
            targetEmail: 'ada@example.com',
            targetName: 'Ada Lovelace',
            details: { amountMc: 10000, reason: 'Goodwill credit for a failed call' },
            createdAt: T,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/admin/webhook-events': {
    response: {
      status: 200,
      body: {
        items: [
          { id: 'evt_3QF0refund', type: 'charge.refunded', receivedAt: T, outcome: 'applied', paymentId: payment.id },
          { id: 'evt_3QF0customer', type: 'customer.created', receivedAt: T, outcome: 'ignored', paymentId: null },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/admin/webhook-endpoints': {
    request: { url: 'https://platform.example.com/hooks/credits', events: ['credits.purchased', 'balance.low'] },
    response: { status: 201, body: { endpoint: webhookEndpoint, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
  },
  'GET /api/admin/webhook-endpoints': { response: { status: 200, body: { items: [webhookEndpoint] } } },
  'PATCH /api/admin/webhook-endpoints/{id}': {
    request: { enabled: false },
    response: { status: 200, body: { endpoint: { ...webhookEndpoint, enabled: false } } },
  },
  'DELETE /api/admin/webhook-endpoints/{id}': { response: { status: 200, body: { id: webhookEndpoint.id, deleted: true } } },
  'GET /api/admin/webhook-endpoints/{id}/deliveries': { response: { status: 200, body: { items: [webhookDelivery], nextCursor: null } } },
  'POST /api/admin/webhook-endpoints/{id}/deliveries/{deliveryId}/retry': {
    response: { status: 202, body: { delivery: { ...webhookDelivery, status: 'pending', nextAttemptAt: '2026-11-28T23:10:00.000Z' } } },
  },
  'POST /api/credits/stripe/webhook': {
    request: {
      id: 'evt_3QF0example',
      object: 'event',
      type: 'payment_intent.succeeded',
      data: {
        object: {
          id: 'pi_3QF0example',
          object: 'payment_intent',
          amount: 4500,
          currency: 'usd',
          status: 'succeeded',
          metadata: { paymentId: payment.id },
        },
      },
    },
    response: { status: 200, body: { received: true, outcome: 'applied' } },
  },
  ...SERVICE_EXAMPLES,
};
