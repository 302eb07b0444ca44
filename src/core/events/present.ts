/** Endpoint and delivery rows in the contract's shapes. */
import type { Kysely, Selectable } from 'kysely';
import type { DB, WebhookEndpointsTable } from '../../db/schema.js';
import type { EventType } from './emit-event.js';

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: EventType[];
  enabled: boolean;
  source: 'admin' | 'config';
  createdAt: string;
}

export function toEndpoint(r: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events) as EventType[],
    enabled: r.enabled === 1,
    source: r.source,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: EventType;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  nextAttemptAt: string | null;
  createdAt: string;
  attemptLog: { at: string; statusCode: number | null; error: string | null; durationMs: number }[];
}

/** The deliveries of `where` with their event's type and every attempt. */
export async function loadDeliveries(db: Kysely<DB>, ids: string[]): Promise<WebhookDelivery[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'e.type', 'd.status', 'd.attempts', 'd.last_status_code', 'd.next_attempt_at', 'd.created_at'])
    .where('d.id', 'in', ids)
    .execute();
  const attempts = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', 'in', ids)
    .orderBy('attempted_at')
    .orderBy('id')
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    return [
      {
        id: r.id,
        eventId: r.event_id,
        type: r.type as EventType,
        status: r.status,
        attempts: r.attempts,
        lastStatusCode: r.last_status_code,
        nextAttemptAt: r.status === 'pending' ? new Date(r.next_attempt_at).toISOString() : null,
        createdAt: new Date(r.created_at).toISOString(),
        attemptLog: attempts
          .filter((a) => a.delivery_id === id)
          .map((a) => ({
            at: new Date(a.attempted_at).toISOString(),
            statusCode: a.status_code,
            error: a.error,
            durationMs: a.duration_ms,
          })),
      },
    ];
  });
}
