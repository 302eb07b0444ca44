import type { Kysely } from 'kysely';
import type { EVENT_TYPES } from '../../contracts/enums.js';
import type { DB } from '../../db/schema.js';
import { newId } from '../ids.js';

export type EventType = (typeof EVENT_TYPES)[number];

export interface EventInput {
  type: EventType;
  /** The account the event is about (null for none). */
  accountId: string | null;
  /** The event's `data`: plain JSON, credits as decimal numbers, times as ISO text. */
  data: Record<string, unknown>;
}

/** `evt_` + a time-ordered id: the `webhook-id` of every attempt of every delivery of the event. */
export function newEventId(now: number): string {
  return `evt_${newId(now).replace(/-/g, '')}`;
}

/**
 * Writes an event and one pending delivery per enabled endpoint subscribed to its type, in
 * `trx`: the caller's transaction, the one of the event's cause, so the event exists if and
 * only if its cause committed. Returns the event's id.
 */
export async function emitEvent(trx: Kysely<DB>, event: EventInput, now: number): Promise<string> {
  const id = newEventId(now);
  await trx
    .insertInto('events')
    .values({ id, type: event.type, account_id: event.accountId, data: JSON.stringify(event.data), created_at: now })
    .execute();
  const endpoints = await trx.selectFrom('webhook_endpoints').select(['id', 'events']).where('enabled', '=', 1).execute();
  const subscribed = endpoints.filter((e) => (JSON.parse(e.events) as string[]).includes(event.type));
  if (subscribed.length > 0) {
    await trx
      .insertInto('webhook_deliveries')
      .values(
        subscribed.map((e) => ({
          id: newId(now),
          endpoint_id: e.id,
          event_id: id,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: now,
          last_status_code: null,
          last_error: null,
          claimed_at: null,
          claim_token: null,
          created_at: now,
          delivered_at: null,
        })),
      )
      .execute();
  }
  return id;
}
