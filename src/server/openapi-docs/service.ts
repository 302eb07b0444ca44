/**
 * What OpenAPI says of the service API, beyond the schemas
 * (merged into DOCS of server/openapi-docs.ts).
 */
import { type RouteDocs, refusing } from './route-doc.js';

export const SERVICE_DOCS: RouteDocs = {
  ...refusing([400, 401, 409], {
    'PUT /api/v1/customers/:externalId': {
      summary: 'Create or update a customer',
      description:
        'Service API key. Creates (201) or updates (200) the customer the platform names `externalId`. External ids are one namespace: a customer is either personal or an organisation, and never changes kind (a `kind` other than the existing customer’s is 409 `conflict`; without `kind` an existing customer keeps its own and a new one is personal).\n\n**Personal** (its users’ `sub`): a user of this service, listed by the admin users routes with its `externalId`, the same user a platform token with that `sub` signs in as, whichever comes first (one use-case makes both). Without an `email` it gets a placeholder address under `users.invalid`. An `email` that another account already uses is 409 (a customer is never joined to an existing account by address). `owner` is 400 here.\n\n**Organisation** (`kind: "organization"`): an account shared by members, as `POST /api/orgs` with `externalId` makes. It has no `email` (400). `owner` names a user (their external id, or their user id) who is made an owner: added, or promoted from admin or member; no one is removed or demoted here. A new organisation without `owner` has no members until one is named. Usage, batches and holds for it name the member who caused them with `member`; its balance is `GET /api/v1/customers/:externalId/balance`.',
    },
  }),
  ...refusing([401, 404], {
    'GET /api/v1/customers/:externalId/balance': {
      summary: 'A customer’s balance',
      description:
        'Service API key. The balance object of `GET /api/credits/balance` for the customer the platform names `externalId` (a personal customer or an organisation); 404 when no such customer was created.',
    },
  }),
  ...refusing([400, 401, 402, 404, 409], {
    'POST /api/v1/holds': {
      summary: 'Hold credits for a long operation',
      description:
        'Service API key. Reserves the cost of `quantity` of `unit` of `operation` for `customer`, priced now by the active rule (the capture is charged at this same price), for `ttlSeconds` (default 900, at most 86,400); 402 when the customer cannot afford it, and nothing is held. Takes an `Idempotency-Key` (scoped to the API key). A hold not captured or released by `expiresAt` is released by the sweeper within `HOLD_SWEEP_SECONDS`, charging nothing.',
    },
    'POST /api/v1/usage': {
      summary: 'Charge a customer’s usage',
      description:
        'Service API key; `Idempotency-Key` required (scoped to the API key: two keys never see each other’s). Charges `quantity` of `unit` of `operation` to `customer` by the active rule (`quantity` in the unit’s base quantity: seconds for `per_minute`, bytes for `per_mb`, tokens for `per_1k_tokens`). `metadata` (a JSON object, at most 4 KiB) is kept on the usage row and shown in the customer’s history as the transaction’s `metadata`, beside `operation`, `unit` and `quantity`. Unknown customer 404; short of credits 402 and nothing charged.',
    },
  }),
  ...refusing([400, 401, 404, 409], {
    'POST /api/v1/holds/:id/capture': {
      summary: 'Capture a hold',
      description:
        'Service API key. Charges the cost of `quantity` at the hold’s price, never more than the held credits, and releases the rest, in one `usage` transaction (`metadata`, at most 4 KiB, is kept on the usage row and shown in the history). `hold.credits` is what was charged, `hold.heldCredits` what was held. A second capture, or a capture after release or expiry, is 409 `conflict`; of two captures at once, one wins. Takes an `Idempotency-Key` (a retry then replays the capture instead of 409).',
    },
    'POST /api/v1/holds/:id/extend': {
      summary: 'Extend a hold',
      description:
        'Service API key. Sets the hold’s `expiresAt` to now + `ttlSeconds` (1 to 86,400). A hold past its expiry (released by the sweeper or not yet), captured or released cannot be extended: 409 `conflict`.',
    },
  }),
  ...refusing([401, 404, 409], {
    'POST /api/v1/holds/:id/release': {
      summary: 'Release a hold',
      description:
        'Service API key. Ends the hold without charging: its credits are available again. Releasing a released hold changes nothing (200 again); an expired hold answers `status: "expired"`; a captured hold is 409 `conflict`.',
    },
  }),
  ...refusing([400, 401, 413], {
    'POST /api/v1/usage/batch': {
      summary: 'Charge a batch of usage events',
      description:
        'Service API key. 1 to 1,000 events `{id, customer, member?, operation, unit, quantity, metadata?}` (more is 400). Each event stands alone and is answered in order in `results`: `charged` (with `charged` credits), `duplicate` (its `id` was charged before by this API key, in an earlier batch or earlier in this one: nothing again), `insufficient_credits`, or `invalid` (malformed, unknown customer or pricing rule: `error` says why). One event’s failure never blocks another. An id repeated in the batch is judged as in a later batch: after a charged event `duplicate` (with `idempotency_conflict` in `error` when its content differs); after a refused one, the same content gets the same refusal and other content is charged or refused on its own in one more transaction (four at most, then `invalid`). Otherwise the whole batch is one database transaction through the ledger’s writer, so it costs about one commit. Ids are idempotency keys of this API key (`event:<id>`), so resending a batch after a lost answer charges nothing twice.',
    },
  }),
};
