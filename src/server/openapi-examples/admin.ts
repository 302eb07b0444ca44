/** Examples of the admin operations and Stripe's webhook. */
import {
  type Example,
  T,
  USER_ID,
  ADMIN_ID,
  starter,
  perMinute,
  perMessage,
  ledgerRows,
  packages,
  payment,
  adminUser,
  webhookEndpoint,
  webhookDelivery,
  settings,
  usageReport,
  alert,
  adjustment,
} from './samples.js';

/** The package an admin creates in the examples, as they send it (the answer adds its id and `active`). */
const team = {
  name: 'Team',
  credits: 2000,
  bonusCredits: 200,
  priceCents: 15000,
  currency: 'usd',
  popular: false,
  creditsExpireInDays: 365,
  bonusExpireInDays: 90,
};

export const ADMIN_EXAMPLES: Record<string, Example> = {
  'GET /api/admin/users': { response: { status: 200, body: { items: [adminUser], nextCursor: null } } },
  'GET /api/admin/users/{id}': {
    response: {
      status: 200,
      body: {
        user: adminUser,
        transactions: ledgerRows,
        payments: [payment],
        alerts: [alert],
        settings,
        calls: [
          {
            id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08',
            status: 'ended',
            phoneNumber: '+15551234567',
            maxDurationSeconds: 300,
            startedAt: T,
            endedAt: T,
            durationSeconds: 90.5,
            charged: 1.755,
            reserved: 0,
          },
        ],
      },
    },
  },
  'GET /api/admin/users/{id}/usage': { response: { status: 200, body: usageReport } },
  'PATCH /api/admin/users/{id}': { request: { role: 'admin' }, response: { status: 200, body: { user: { ...adminUser, role: 'admin' } } } },
  'POST /api/admin/users/{id}/adjustments': adjustment({
    transactionId: '01a2245e-b000-7000-8000-000000000005',
    amount: 10,
    reason: 'Goodwill credit for a failed call',
    after: { balance: 558.9, reserved: 2.5, available: 556.4 },
  }),
  'GET /api/admin/packages': {
    response: { status: 200, body: { items: [...packages, { ...starter, id: 'pkg_trial', name: 'Trial', active: false }] } },
  },
  'POST /api/admin/packages': {
    request: team,
    response: { status: 201, body: { package: { id: 'pkg_01a2245e-c000-7000-8000-000000000006', ...team, active: true } } },
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
            accountKind: 'personal',
            accountName: 'Ada Lovelace',
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
            accountKind: 'personal',
            accountName: 'Ada Lovelace',
            refundedCents: 0,
            stripePaymentIntentId: 'pi_3QF1example',
            failureReason: 'Your card was declined.',
            disputeStatus: null,
          },
          {
            ...payment,
            id: '01a2245e-64c0-7000-a02c-de17756cc7b6',
            provider: 'stripe',
            status: 'succeeded',
            userId: 'org_01a2245e-6000-7000-8000-0000000000f1',
            userEmail: null,
            accountKind: 'organization',
            accountName: 'Northwind Recruiting',
            refundedCents: 0,
            stripePaymentIntentId: 'pi_3QF2example',
            failureReason: null,
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
      body: `id,createdAt,userId,userEmail,status,provider,packageId,amountCents,currency,credits,refundedCents,disputeStatus,stripePaymentIntentId,failureReason,receiptUrl,accountKind,accountName\n01a2245e-64b9-7000-a02c-de17756cc7b5,${T},${USER_ID},ada@example.com,failed,stripe,pkg_professional,4500,usd,550,0,,pi_3QF1example,Your card was declined.,,personal,Ada Lovelace\n`,
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
  'GET /api/admin/webhook-endpoints/{id}': { response: { status: 200, body: { endpoint: webhookEndpoint } } },
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
};
