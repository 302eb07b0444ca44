/**
 * What OpenAPI says of the credits routes of a signed-in user, redeeming a promo code and Stripe’s webhook, beyond the schemas
 * (merged into DOCS of server/openapi-docs.ts).
 */
import { type RouteDocs, refusing } from './route-doc.js';

export const CREDITS_DOCS: RouteDocs = {
  ...refusing([400, 401], {
    'GET /api/credits/grants': {
      summary: 'Grants: what the balance is made of',
      description:
        'Every credit that entered the account is a grant (purchase, bonus, sign-up bonus, promo, adjustment, auto-recharge) with what it brought, what is left and when it expires. Newest first, paginated; `?active=true` lists only grants with credits left that have not expired. Spending takes expiring grants first, the earliest first, promotional before paid at the same expiry.',
    },
    'GET /api/credits/alerts': {
      summary: 'In-app alerts',
      description:
        'Newest first, paginated, with the number still unread: low balance (once per crossing of the threshold), depleted, purchase succeeded, payment failed, auto-recharge succeeded or failed, refund.',
    },
    'GET /api/credits/transactions': {
      summary: 'Ledger rows of the signed-in user',
      description:
        'Newest first, paginated (`limit`, `cursor`), filtered by `type` and by `from` (inclusive) and `to` (exclusive; a date-only `to` includes that day). `amount` is the signed change of the balance, `reservedChange` that of the reserved credits, `balanceAfter` the balance after the row.',
    },
    'GET /api/credits/holds': {
      summary: 'What the reserved credits are held for',
      description:
        "The signed-in user's holds that are still held, newest first, paginated: the minutes of a call in progress (`call`, with its `callId`), a hold placed by the platform through the service API (`service`), the credits of a disputed payment (`dispute`). Their credits add up to the balance's `reserved`. All three are one machinery: a hold is captured (charged, at most what it holds), released, or released by the sweeper at `expiresAt`.",
    },
    'GET /api/credits/transactions.csv': {
      summary: 'Ledger rows as CSV',
      description:
        "Every row under the same filters as the JSON list (not one page), with a header line: `id,createdAt,type,amount,reservedChange,balanceAfter,description,metadata,memberId` (`memberId`: on an organisation’s account the member who caused the row, as in the JSON list; empty otherwise). A text cell that a spreadsheet would run as a formula gets a leading `'`; numbers stay plain.",
      csv: 'The rows as CSV.',
    },
    'GET /api/credits/usage': {
      summary: 'Usage over time and by operation',
      description:
        'Credits spent and operations counted per UTC day or hour (`granularity`) over `from`..`to` (default: the last 30 days), and per operation and unit with the summed `quantity` in the unit’s base quantity (seconds, bytes, tokens or a count). On an organisation’s account, `groupBy=member` adds `byMember`: `{memberId, name, credits, operations}` per member who caused usage in the range, most credits first (a personal account: 400).',
    },
    'GET /api/credits/usage.csv': {
      summary: 'Usage report as CSV',
      description:
        "The usage report of `GET /api/credits/usage` under the same query (`from`, `to`, `granularity`; default the last 30 days by day) as CSV with a header line: `bucket,operation,unit,operations,quantity,credits`, one line per UTC bucket and operation and unit that had usage, in bucket order. `quantity` is in the unit’s base quantity (seconds, bytes, tokens or a count). A text cell that a spreadsheet would run as a formula gets a leading `'`.",
      csv: 'The usage as CSV.',
    },
  }),
  // Owners and admins of an organisation only: its members are 403 `forbidden`.
  ...refusing([400, 401, 403], {
    'PUT /api/credits/settings': {
      summary: 'Change alert and auto-recharge settings',
      description:
        'Takes any subset and answers the whole. `thresholdCredits` and `packageId` are required when `enabled` is true. Unknown fields are 400.',
    },
    'GET /api/credits/payments': {
      summary: 'Payments of the account',
      description:
        'The payments of the signed-in user, or of the organisation chosen with `X-Account` (its owners and admins only: a member is 403). Newest first, paginated. `status` is one of pending, succeeded, failed, refunded, partially_refunded, disputed; `credits` is package credits plus bonus; `boughtBy` is who paid (on an organisation, which owner or admin), null for auto-recharge and payments made before the buyer was recorded.',
    },
  }),
  ...refusing([401, 404], {
    'POST /api/credits/alerts/:id/read': {
      summary: 'Mark an alert read',
      description: 'Marks one of the user’s alerts read; another user’s alert id is 404.',
    },
  }),
  ...refusing([401], {
    'GET /api/credits/settings': {
      summary: 'Alert and auto-recharge settings',
      description:
        'The low-balance threshold in credits and the auto-recharge settings: when `enabled`, the package `packageId` is bought with the saved card whenever the available balance falls below `thresholdCredits`.',
    },
    'GET /api/credits/balance': {
      summary: 'Balance of the signed-in user',
      description:
        'In credits: `balance`, `reserved` (held for calls in progress and other holds), `available = balance - reserved` (every charge is limited by it), lifetime purchased (bonuses included) and used. `unlimited` is true for a super admin, who is never charged.',
    },
  }),
  ...refusing([400, 401, 403, 404, 409, 503], {
    'POST /api/credits/purchase': {
      summary: 'Buy a credit package',
      description:
        'With Stripe configured: creates a PaymentIntent and answers `pending` with its `clientSecret`; the credits arrive with Stripe’s webhook. Without Stripe, outside production (or with `ALLOW_SIMULATED_PAYMENTS`), the simulated provider completes at once: `succeeded`, credits added before the answer. In production without Stripe, 503 `payments_unavailable`. Send an `Idempotency-Key`: a retry with the same key and body replays the first answer and buys nothing again.',
    },
  }),
  ...refusing([], {
    'GET /api/credits/stream': {
      summary: 'Live balance (Server-Sent Events)',
      description:
        'A `text/event-stream`: an event `balance` with the balance object at once, then one on every change, and a comment line every 15 s to keep the connection open. Send the Bearer header (read it with `fetch`, not `EventSource`). At most MAX_STREAMS_PER_USER (default 10) streams per user are open at once on an instance: opening one more closes the oldest, which first receives an event `closed` with data `{"reason":"too_many_streams"}` (a client should not reconnect it). The stream lasts as long as its token and its access: once the token is ended (sign-out, a password or role change, expiry) or the caller is no longer a member of the X-Account named, the next change or heartbeat sends `closed` with `{"reason":"unauthorized"}` or `{"reason":"not_a_member"}` instead and ends the stream.',
    },
    'GET /api/credits/packages': {
      summary: 'Credit packages for sale',
      description:
        'Public. The active packages, cheapest first (grouped by currency when there are several); `credits` and `bonusCredits` are what a purchase adds, `priceCents` what it costs in `currency`.',
    },
    'GET /api/credits/pricing': {
      summary: 'Current prices',
      description:
        'Public. The current version of each active pricing rule: `credits` per `unit` of `operation`. What a quantity means for each unit is in the units table of this document’s description: `quantity` is seconds for `per_minute`, bytes for `per_mb`, tokens for `per_1k_tokens` and a count for every other unit.',
    },
  }),
  ...refusing([400, 401, 404], {
    'POST /api/credits/estimate': {
      summary: 'Price an operation without running it',
      description:
        'Prices `quantity` of `unit` of `operation` by the active rule and says whether the available balance covers it (and, for an organisation member with a monthly limit, whether what they spent and hold this month plus this stays within it, as a charge is checked). Moves nothing. `quantity` is in the unit’s base quantity: seconds for `per_minute` (a 90.5 s call is 90.5, not 1.5), bytes for `per_mb`, tokens for `per_1k_tokens`, a count otherwise. 404 when no active rule prices that operation and unit.',
    },
  }),
  ...refusing([400, 401, 403, 404, 409, 410, 503], {
    'POST /api/credits/redeem': {
      summary: 'Redeem a promo code',
      description:
        'Grants the code’s credits to the signed-in account as a `promo` grant (an `adjustment` ledger row referencing the code), expiring `expiresInDays` after now when the code says so; the redemption and the grant are written in one transaction. Once per account: a second redemption is 409 `already_redeemed` (also when two requests race, on any number of instances: one wins). An unknown code is 404; a code deactivated by an admin, past its `validUntil` or used up is 410 `promo_unavailable`. A refusal writes nothing. The code is matched without regard to case. With an `Idempotency-Key` the key is stored with the answer in the same transaction: the same key and code replay the first answer (`Idempotent-Replayed: true`, also from another instance at the same time), another code under it is 409 `idempotency_conflict`. Without a key, a retry after a lost answer is 409 `already_redeemed`, and the grant is in GET /api/credits/grants.',
    },
  }),
  ...refusing([400], {
    'POST /api/credits/stripe/webhook': {
      summary: 'Stripe webhook',
      description:
        'Stripe calls this. The raw body’s `Stripe-Signature` is checked against `STRIPE_WEBHOOK_SECRET` (300 s tolerance; else 400, nothing changes). Each event id is applied once, in the transaction of its effect: `payment_intent.succeeded` adds the credits, `payment_intent.payment_failed` marks the payment, `charge.refunded` takes back the refunded share, `charge.dispute.created` holds and `charge.dispute.closed` takes or releases the disputed credits. Other events are 200 and ignored.',
    },
  }),
};
