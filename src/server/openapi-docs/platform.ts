/**
 * What OpenAPI says of the metered routes of the platform and VAPI calls, beyond the schemas
 * (merged into DOCS of server/openapi-docs.ts).
 */
import { type RouteDocs, refusing } from './route-doc.js';

export const PLATFORM_DOCS: RouteDocs = {
  ...refusing([400, 401, 402, 409], {
    'POST /api/messages': {
      summary: 'Send a message',
      description:
        'Charges `message`/`per_message` (quantity 1) and answers the charge. `to` is 1 to 320 characters (a phone number, an address or a candidate id) without control or bidirectional override characters; `body` 1 to 10,000 characters, line breaks and tabs allowed. 402 when the available balance is short, and nothing is sent. Takes an `Idempotency-Key`.',
    },
    'POST /api/workflows/:id/execute': {
      summary: 'Run a workflow',
      description:
        'Charges `workflow`/`per_execution` (quantity 1) for one run of the workflow named by `id` (1 to 100 letters, digits, `-` or `_`). Takes an `Idempotency-Key`.',
    },
  }),
  ...refusing([400, 401, 402, 409, 413, 415], {
    'POST /api/files': {
      summary: 'Upload a file',
      description:
        'Multipart, one file in the field `file` (another file, or a second part named `file`, is 400 `validation_error` naming the field, and nothing is charged or kept). Charges `file_upload`/`per_mb` by the file’s exact size in bytes (1.5 MB at 0.25 per MB is 0.375). Over `MAX_UPLOAD_MB` (default 25) 413 and nothing is kept; a file name with control or bidirectional override characters is 400. Takes an `Idempotency-Key` (another file under the same key is 409).',
    },
  }),
  ...refusing([400, 401, 402, 403, 404, 409], {
    'POST /api/usage': {
      summary: 'Meter an operation for a user',
      description:
        'For other backends of the platform (a service API key in `X-Service-Key` or as `Authorization: Bearer ck_live_...` — `SERVICE_API_KEY` is one of them — or an admin token): charges `quantity` of `unit` of `operation` to `userId` by the active rule. `quantity` is the unit’s base quantity: SECONDS for `per_minute` (a 2-minute call is 120, not 2: sending minutes undercharges 60 times), BYTES for `per_mb` (not megabytes), TOKENS for `per_1k_tokens` (not thousands), a count for every other unit. `idempotencyKey` is required; the same key and body replay the first answer. A super admin’s usage is recorded, not charged.',
    },
  }),
  ...refusing([400, 401, 402, 409, 502], {
    'POST /api/vapi/calls': {
      summary: 'Start a VAPI call: charges vapi_call/per_call, holds per_minute for the affordable length',
      description:
        'The attempt and its charge are recorded before VAPI is asked. 201: VAPI placed the call. 502 `bad_gateway`: VAPI refused it, and nothing is charged (hold released, start charge reversed); ' +
        'or VAPI did not confirm it (timed out, unreachable): the call may be live, so its credits stay held until VAPI tells (details.status `queued`), and a retry with the same ' +
        'Idempotency-Key answers the outcome once known. 409 `idempotency_conflict`: a request with the same key is still starting the call.',
    },
  }),
  ...refusing([400, 401, 404, 409, 502], {
    'POST /api/vapi/calls/:id/end': {
      summary: 'End a call (its owner; on an organisation, the member who started it, or an owner or admin)',
      description:
        'On a personal account its user ends their calls. On an organisation (`X-Account`) a plain `member` ends only the calls they started (another member’s is 404, as any call not theirs); ' +
        'an `owner` or `admin` of the organisation ends every call of it, charged as the member who started it. The body `{durationSeconds?}` is optional (none, or an empty one, is `{}`). Simulated calls settle at once for `durationSeconds` (200), at most the call’s `maxDurationSeconds` (a call lasts no longer). Calls through VAPI: VAPI is asked to hang up and the answer is 202 with status `ending`; the call is then ' +
        "settled from VAPI's end-of-call report or, if none comes, from the call as VAPI reports it (GET /call/:id), either at most the maximum, never from a number the caller sends; if VAPI cannot tell " +
        'by CALL_GRACE_SECONDS after the call’s maximum length, the whole hold is charged. A call already settled: 200 with `settled: false`, nothing changes; with the Idempotency-Key of the request that settled it, that request’s answer is replayed (what was charged). ' +
        '502 `bad_gateway`: VAPI could not be asked to hang up (nothing changed); 409 `conflict`: VAPI has not confirmed the call yet.',
    },
  }),
  ...refusing([400, 401], {
    'GET /api/vapi/calls': {
      summary: "The account's calls, newest first; `?status=open` for those not yet settled",
      description:
        'Paginated (`limit`, `cursor`). On a personal account its user’s calls; on an organisation (`X-Account`) a plain `member` sees only the calls they started, an `owner` or `admin` every call of it. Each call with its status in VAPI’s words, its maximum and charged length in seconds, the credits charged so far and those still held. ' +
        '`status=open` lists the calls not yet settled (queued, in-progress, ending), so a client can offer to end them after a reload.',
    },
    'POST /api/vapi/webhook': {
      summary: 'VAPI server messages; an end-of-call-report settles its call once',
      description:
        'Needs `x-vapi-secret` = VAPI_WEBHOOK_SECRET. An end-of-call-report settles its call (found by `message.call.id`, or by `message.call.name`, the id the call was placed ' +
        'with, when VAPI’s id was never recorded) from its duration, at most the call’s `maxDurationSeconds` (a call lasts no longer: the call, its usage and the charge all say that length), never beyond the hold. A status-update records VAPI’s word for a call in progress (queued, ringing, ' +
        'in-progress, forwarding; only forward), which its `status` then follows (queued until VAPI says in-progress); it moves no credits. Other messages, and reports of settled or unknown calls, change nothing.',
    },
  }),
};
