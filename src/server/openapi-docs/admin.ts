/**
 * What OpenAPI says of the admin API (promo codes included), beyond the schemas
 * (merged into DOCS of server/openapi-docs.ts).
 */
import { ADMIN_PAYMENTS_CSV_HEADER, LIABILITY_CSV_HEADER } from '../presenters.js';
import { type RefusalStatus, type RouteDocs, refusing } from './route-doc.js';

const ADJUSTMENT_REFUSALS: RefusalStatus[] = [400, 401, 402, 403, 404, 409];

const ABOUT_LIABILITY =
  'Admins only. Prepaid credits outstanding: every grant’s remaining credits (held ones too) at `asOf`, valued at the price the grant was bought at (a package’s price spread over its credits, rounded to the cent per grant; bonus, sign-up, promo and adjustment grants at 0; a usage reversal’s credits at what the reversed charge’s credits were worth); of those, what expires within 30 days after `asOf`; and what expired in the period `from`..`to` (to exclusive; default the calendar month of `asOf`, up to `asOf`). `?asOf=` a date is the end of that UTC day; any past moment is exact, from the grants’ movements written with each ledger row.';

export const ADMIN_DOCS: RouteDocs = {
  ...refusing(ADJUSTMENT_REFUSALS, {
    'POST /api/admin/users/:id/adjustments': {
      summary: 'Adjust a user’s credits',
      description:
        'Admins only. A signed `amount` of credits (positive grants, negative takes; a debit below zero available is 402) and a required `reason`, written as an `adjustment` ledger row and an audit entry. A positive adjustment is a grant; `expiresAt` (in the future, else 400) makes its credits expire then; absent or null, they never expire. Takes an `Idempotency-Key`.',
    },
    'POST /api/admin/organizations/:id/adjustments': {
      summary: 'Adjust an organisation’s credits',
      description:
        'Admins only. As `POST /api/admin/users/{id}/adjustments`, on an organisation’s account: a signed `amount` of credits (a debit below zero available is 402), a required `reason`, an optional `expiresAt` for credits given; one `adjustment` ledger row and an audit entry with `targetType: "organization"`. An id that names no organisation (a user’s included) is 404. Takes an `Idempotency-Key`.',
    },
  }),
  ...refusing([400, 401, 403], {
    'GET /api/admin/users': {
      summary: 'Users with balances',
      description: 'Admins only. Newest first, paginated; `search` matches email or name, case-insensitively.',
    },
    'POST /api/admin/packages': {
      summary: 'Create a package',
      description:
        'Admins only. `credits` and `bonusCredits` in credits, `priceCents` at least 50, `currency` a lower-case ISO code (`usd`). Audited.',
    },
    'GET /api/admin/payments': {
      summary: 'Payments of every user',
      description:
        'Admins only. Payment monitoring: newest first, paginated, filtered by `status`, `userId` and creation time (`from`, `to`); each with the payer’s email, the Stripe PaymentIntent, the failure reason, the refunded amount in cents and the dispute status. `GET /api/admin/payments.csv` gives every row under the same filters.',
    },
    'GET /api/admin/analytics': {
      summary: 'Revenue and usage',
      description:
        'Admins only. Over `from`..`to` (default: the last 30 days): revenue net of refunds, credits sold and used, active users, payments succeeded and failed, usage by operation (with quantities in base units) and a daily series.',
    },
    'GET /api/admin/audit': {
      summary: 'Audit log',
      description:
        'Admins only. Newest first, paginated: who did what to which target (adjustments, role changes, package and price changes, refunds, setup), with the names a person reads beside the ids: the actor’s email and name, the user the entry concerns (the target user or the payer of a target payment) and the target’s own name.',
    },
    'POST /api/admin/api-keys': {
      summary: 'Create an API key',
      description:
        'Admins only. Makes a key for the service API (`ck_live_...`) and answers it once in `key`: only its SHA-256 hash is stored, so it cannot be shown again. Audited.',
    },
    'GET /api/admin/liability': { summary: 'Liability: what the prepaid credits are worth', description: ABOUT_LIABILITY },
    'GET /api/admin/liability.csv': {
      summary: 'Liability as CSV',
      description: `The figures of \`GET /api/admin/liability\` (same parameters) as CSV, one line per figure (\`outstanding\`, \`expiring_next_30_days\`, \`expired_in_period\`) under the header \`${LIABILITY_CSV_HEADER.join(',')}\`; credits as decimal numbers, values in cents.`,
      csv: 'The figures as CSV.',
    },
    'GET /api/admin/organizations': {
      summary: 'Organisations with balances and members',
      description:
        'Admins only. Newest first, paginated; `search` matches the name, the external id or a member’s email, case-insensitively. Each organisation with its account’s figures and every member (role, monthly limit).',
    },
    'GET /api/admin/payments.csv': {
      summary: 'Payments as CSV',
      description: `Admins only. Every payment under the filters of \`GET /api/admin/payments\` (\`status\`, \`userId\`, \`from\`, \`to\`; not one page), newest first, with a header line: \`${ADMIN_PAYMENTS_CSV_HEADER.join(',')}\` (an organisation’s payment: \`userId\` is the organisation’s id, \`userEmail\` the email of the owner or admin who bought it, empty when not recorded, \`accountName\` its name). A text cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a leading \`'\`; numbers stay plain.`,
      csv: 'The rows as CSV.',
    },
    'GET /api/admin/webhook-events': {
      summary: 'Stripe events received',
      description:
        'Admins only. Every Stripe event the webhook verified and recorded, newest first, paginated, with what it did: `applied` (it changed a payment), `ignored` (a type the service does not act on, an object Stripe does not know, or no payment to apply it to — an intent that could not be rebuilt is in the audit log as `payment.unrecoverable`). An event Stripe sent again is listed once, with what its first delivery did. Answers "did we get that event?".',
    },
    'POST /api/admin/webhook-endpoints': {
      summary: 'Register a webhook endpoint',
      description:
        'Admins only. Events of the listed types are POSTed to `url` in the Standard Webhooks format, signed with the `whsec_` secret of the answer, which is shown only this once. In production the URL must be https and not resolve to a private or loopback address (unless WEBHOOKS_ALLOW_PRIVATE=true): 400 otherwise.',
    },
    'GET /api/admin/promo-codes': {
      summary: 'Promo codes',
      description:
        'Admins only. The promo codes, newest first, paginated, each with how many accounts redeemed it (`redemptions`), whether an admin deactivated it (`active`) and whether it can still be redeemed now (`available`: active, not past `validUntil`, not used up).',
    },
  }),
  ...refusing([401, 403, 404], {
    'GET /api/admin/webhook-endpoints/:id': {
      summary: 'One webhook endpoint',
      description:
        'Admins only. The endpoint with its `url`, `events` and `enabled` (never its secret, shown once at creation). An unknown id is 404.',
    },
    'GET /api/admin/users/:id': {
      summary: 'One user',
      description: 'Admins only. The user with balance, the last 20 ledger rows and the last 20 payments.',
    },
    'DELETE /api/admin/api-keys/:id': {
      summary: 'Revoke an API key',
      description:
        'Admins only. The key is refused from now on: at once on this instance and, on PostgreSQL, on every other one (the revocation is announced to them); on SQLite another instance refuses it within a second (keys are cached one second at most). Revoking a revoked key changes nothing. Audited.',
    },
    'POST /api/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry': {
      summary: 'Retry a delivery',
      description:
        'Admins only. Makes the delivery due now: a failed one gets one more attempt, a pending one is tried at once, a succeeded one is sent again (same `webhook-id`). 202: the attempt follows within WEBHOOKS_POLL_MS.',
    },
  }),
  ...refusing([400, 401, 403, 404], {
    'GET /api/admin/users/:id/usage': {
      summary: 'An account’s usage report',
      description:
        'Admins only. The usage report of the account with this id (a user’s personal account, or an organisation’s), the same as `GET /api/credits/usage` on that account: credits spent and operations per UTC day or hour (`granularity`) over `from`..`to` (default: the last 30 days), and per operation and unit. An id that names no account is 404.',
    },
    'PATCH /api/admin/packages/:id': {
      summary: 'Change a package',
      description:
        'Admins only. Any subset of the fields, and `active`: a package is deactivated, never deleted, so past payments keep it. Audited.',
    },
    'GET /api/admin/webhook-endpoints/:id/deliveries': {
      summary: 'An endpoint’s deliveries',
      description:
        'Admins only. Newest first, paginated, optionally of one `status`: each delivery of an event to this endpoint with its attempts (time, status code or error, duration). `pending` deliveries are retried on Standard Webhooks’ schedule until a 2xx; `failed` ones gave up after the last attempt.',
    },
    'PATCH /api/admin/promo-codes/:id': {
      summary: 'Deactivate a promo code',
      description:
        'Admins only. `{active: false}` deactivates the code: from then on a redemption answers 410 `promo_unavailable` and writes nothing; the grants it made stay. `{active: true}` makes it redeemable again. A code is deactivated, never deleted. Unknown id: 404. Audited (`promo_code.deactivate`, `promo_code.activate`); setting what it is already changes nothing.',
    },
  }),
  ...refusing([400, 401, 403, 404, 409], {
    'PATCH /api/admin/users/:id': {
      summary: 'Change a user’s role',
      description:
        'Admins only; only a super admin grants or removes `admin` and `super_admin`. Audited; applies at once. The last super admin cannot lose the role (409 `conflict`), by their own hand or anyone’s, so someone can always grant roles.',
    },
    'PATCH /api/admin/pricing/:id': {
      summary: 'Change a pricing rule',
      description:
        'Admins only. A new `credits` makes a new version (a new id, answered) and deactivates the old one; it applies to operations after it and never rewrites history. `description` and `active` change the rule in place. Audited.',
    },
    'PATCH /api/admin/webhook-endpoints/:id': {
      summary: 'Change a webhook endpoint',
      description:
        'Admins only. Changes `url`, `events` or `enabled`. A disabled endpoint gets no new deliveries; its pending ones wait until it is enabled again. The endpoint of ALERTS_WEBHOOK_URL can only be enabled or disabled (409 otherwise).',
    },
  }),
  ...refusing([401, 403], {
    'GET /api/admin/packages': { summary: 'All packages', description: 'Admins only. Every package, inactive ones too.' },
    'GET /api/admin/pricing': {
      summary: 'All pricing rules',
      description: 'Admins only. Every rule with all its versions (`version`, `active`).',
    },
    'GET /api/admin/api-keys': {
      summary: 'API keys',
      description:
        'Admins only. Every key, revoked ones too, newest first, with its prefix, last use (to the minute) and revocation time. Never the key itself.',
    },
    'GET /api/admin/webhook-endpoints': {
      summary: 'Webhook endpoints',
      description:
        'Admins only. Every endpoint, oldest first, without its secret; the one configured by ALERTS_WEBHOOK_URL has `source` `config`.',
    },
  }),
  ...refusing([400, 401, 403, 409], {
    'POST /api/admin/pricing': {
      summary: 'Create a pricing rule',
      description:
        'Admins only. `credits` per `unit` of `operation` (lower-case letters, digits and `_`); 409 when an active rule for that operation and unit exists. `credits` is the price of one unit (one minute, one MB, 1000 tokens, one call...); callers report quantities in the unit’s base quantity (seconds, bytes, tokens, a count: see the units table). Audited.',
    },
    'POST /api/admin/promo-codes': {
      summary: 'Create a promo code',
      description:
        'Admins only. `code` (3 to 40 letters, digits, `-` or `_`; matched without regard to case, stored upper-case), `credits` granted by each redemption (more than 0: a code of 0 credits is 400), and optionally `expiresInDays` (the lifetime of the grant a redemption creates, counted from the redemption), `maxRedemptions` (accounts in all) and `validUntil` (the last moment it can be redeemed, in the future). A code that exists already is 409 `conflict`. Audited.',
    },
  }),
  ...refusing([400, 401, 403, 404, 409, 503], {
    'POST /api/admin/payments/:id/refund': {
      summary: 'Refund a payment',
      description:
        'Admins only. Refunds `amountCents` (the whole remaining amount by default; more than remains is 400) through Stripe or the simulated provider and takes back the same share of the credits the payment granted. Takes an `Idempotency-Key`.',
    },
  }),
  ...refusing([401, 403, 404, 409], {
    'DELETE /api/admin/webhook-endpoints/:id': {
      summary: 'Delete a webhook endpoint',
      description:
        'Admins only. Deletes the endpoint with its deliveries and their attempts; nothing more is sent to it. The endpoint of ALERTS_WEBHOOK_URL is removed by unsetting that variable (409 here).',
    },
  }),
};
