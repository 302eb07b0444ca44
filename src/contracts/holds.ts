/**
 * The credits a user's balance holds back (`reserved`), one hold each: a VAPI call's
 * minutes, a hold placed through the service API, or the credits of a disputed payment.
 * All three are the same machinery (a ledger reservation: reserved, then captured or
 * released, or released by the sweeper at its expiry); this list says what each is for.
 */
import { z } from 'zod';
import { credits, nullableText, pageOf, paginationQuery } from './common.js';

export const heldKind = z.enum(['call', 'service', 'dispute']).meta({
  description:
    '`call`: the minutes of a VAPI call in progress (settled when it ends); `service`: a hold placed by the platform through the service API (captured or released by it, or released at `expiresAt`); `dispute`: the credits of a disputed payment, held until the dispute is decided.',
});

export const heldCredits = z
  .object({
    id: z.string(),
    kind: heldKind,
    description: z.string(),
    operation: z.string().nullable(),
    unit: z.string().nullable(),
    credits: credits.meta({ description: 'Credits held, at most 3 decimals.' }),
    createdAt: z.string(),
    expiresAt: nullableText(
      'When the sweeper releases it if it is still held, charging nothing; null: held until an event decides (a dispute).',
    ),
    callId: nullableText('For a call: the call’s id, as `POST /api/vapi/call` answered it.'),
  })
  .meta({ id: 'HeldCredits' });

export const holdsQuery = paginationQuery;

export const holdsPage = pageOf(heldCredits);
