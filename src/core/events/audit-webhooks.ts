import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { recordAudit } from '../audit/record-audit.js';

/** An admin's action on the webhooks: on an endpoint, or on one delivery. */
export type WebhookAction = 'webhook_endpoint.create' | 'webhook_endpoint.update' | 'webhook_endpoint.delete' | 'webhook_delivery.retry';

/**
 * Audits an admin's action on the webhooks, inside the caller's transaction, with the
 * request's actor and time: its target is the endpoint or delivery the action names (the
 * action's first part).
 */
export function auditWebhooks(
  trx: Kysely<DB>,
  ctx: { actorId: string | null; now: number },
  action: WebhookAction,
  targetId: string,
  details: Record<string, unknown>,
): Promise<void> {
  const targetType = action.slice(0, action.indexOf('.'));
  return recordAudit(trx, { actorId: ctx.actorId, action, targetType, targetId, details }, ctx.now);
}
