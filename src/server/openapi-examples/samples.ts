/** The values the examples share: ids, a time, a user, a balance, packages and rules. */
export interface Example {
  /** The request body (JSON unless `requestType` says otherwise). */
  request?: unknown;
  requestType?: string;
  /** The success answer: its status, content type (JSON by default) and body. */
  response: { status: number; type?: string; body: unknown };
}

export const T = '2026-11-28T22:54:55.729Z';
export const USER_ID = '01a2245e-5e6b-7000-9669-e60b9a4ba1cb';
export const ADMIN_ID = '01a2245e-1f52-7000-b5f0-7be5acb6121b';
export const TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMWEyMjQ1ZS01ZTZiLTcwMDAtOTY2OS1lNjBiOWE0YmExY2IiLCJpYXQiOjE3OTYxMjgyOTMsImV4cCI6MTc5NjczMzA5M30.3m4x-signature';

export const MAIL_REQUESTED = {
  status: 'accepted',
  message: 'If this address can receive it, a mail with a link is on its way. The link works once.',
};
export const user = { id: USER_ID, email: 'ada@example.com', name: 'Ada Lovelace', role: 'user', createdAt: T };
export const balance = {
  balance: 548.9,
  reserved: 2.5,
  available: 546.4,
  lifetimePurchased: 550,
  lifetimeUsed: 1.1,
  unlimited: false,
  expiringSoon: { credits: 50, at: '2026-12-20T00:00:00.000Z' },
};
export const charge = { charged: 0.1, balance: 549.9, available: 549.9 };
export const professional = {
  id: 'pkg_professional',
  name: 'Professional',
  credits: 500,
  bonusCredits: 50,
  priceCents: 4500,
  currency: 'usd',
  popular: true,
  active: true,
  creditsExpireInDays: null,
  bonusExpireInDays: null,
};
export const starter = {
  id: 'pkg_starter',
  name: 'Starter',
  credits: 100,
  bonusCredits: 0,
  priceCents: 1000,
  currency: 'usd',
  popular: false,
  active: true,
  creditsExpireInDays: null,
  bonusExpireInDays: null,
};
export const perMinute = {
  id: 'rule_vapi_call_per_minute',
  operation: 'vapi_call',
  unit: 'per_minute',
  credits: 0.5,
  description: 'Call duration',
  active: true,
  version: 1,
};
export const perMessage = {
  id: 'rule_message_per_message',
  operation: 'message',
  unit: 'per_message',
  credits: 0.1,
  description: 'Message',
  active: true,
  version: 1,
};
export const usageRow = {
  id: '01a2245e-64ef-7001-a5ae-18d90a4bd065',
  type: 'usage',
  amount: -0.1,
  reservedChange: 0,
  balanceAfter: 549.9,
  description: 'Message (per message)',
  metadata: { operation: 'message', unit: 'per_message', quantity: 1 },
  memberId: null,
  createdAt: T,
};
export const purchaseRow = {
  id: '01a2245e-64b9-7000-a02c-de17756cc7b5',
  type: 'purchase',
  amount: 500,
  reservedChange: 0,
  balanceAfter: 500,
  description: 'Credit purchase',
  metadata: { paymentId: '01a2245e-64b9-7000-a02c-de17756cc7b4' },
  memberId: null,
  createdAt: T,
};
export const payment = {
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
/** The active packages, cheapest first, as the package lists answer them. */
export const packages = [starter, professional];
/** A usage row and the purchase before it, newest first, as the ledger lists answer them. */
export const ledgerRows = [usageRow, purchaseRow];
export const adminUser = {
  ...user,
  balance: 548.9,
  reserved: 2.5,
  available: 546.4,
  lifetimePurchased: 550,
  lifetimeUsed: 1.1,
  externalId: 'auth0|6560a1',
};
/** A usage report (the user's own, or an admin's view of it). */
export const usageReport = {
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  granularity: 'day',
  totalCredits: 1.855,
  totalOperations: 3,
  series: [{ bucket: '2026-11-28T00:00:00.000Z', credits: 1.855, operations: 3, byOperation: { vapi_call: 1.755, message: 0.1 } }],
  byOperation: [
    { operation: 'vapi_call', unit: 'per_call', credits: 1, operations: 1, quantity: 1 },
    { operation: 'vapi_call', unit: 'per_minute', credits: 0.755, operations: 1, quantity: 90.5 },
    { operation: 'message', unit: 'per_message', credits: 0.1, operations: 1, quantity: 1 },
  ],
};
export const settings = { lowBalanceThreshold: 10, autoRecharge: { enabled: true, thresholdCredits: 20, packageId: 'pkg_starter' } };
export const alert = {
  id: '01a2245e-7000-7000-8000-000000000001',
  type: 'low_balance',
  message: 'Your available balance fell below 10 credits.',
  read: false,
  createdAt: T,
};

/**
 * An admin's adjustment of an account's credits (a user's or an organisation's): `amount`
 * for `reason`, and the answer, its transaction and the account's balance after it.
 */
export function adjustment(o: {
  transactionId: string;
  amount: number;
  reason: string;
  after: { balance: number; reserved: number; available: number };
}): Example {
  return {
    request: { amount: o.amount, reason: o.reason },
    response: {
      status: 201,
      body: {
        transaction: {
          id: o.transactionId,
          type: 'adjustment',
          amount: o.amount,
          reservedChange: 0,
          balanceAfter: o.after.balance,
          description: o.reason,
          metadata: { reason: o.reason, actorId: ADMIN_ID },
          memberId: null,
          createdAt: T,
        },
        balance: o.after,
      },
    },
  };
}

export const webhookEndpoint = {
  id: 'we_01a2245e8a1c70009c4e2b1d5f3a7c90',
  url: 'https://platform.example.com/hooks/credits',
  events: ['credits.purchased', 'balance.low'],
  enabled: true,
  source: 'admin',
  createdAt: T,
};
export const webhookDelivery = {
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
