import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors.js';

/** An event the service sent (Standard Webhooks): its id (`webhook-id`), type, time and data. */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  timestamp: string;
  data: T;
}

/** Headers as Node (`req.headers`), the Fetch API (`Headers`) or a plain object give them. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** How far a webhook's timestamp may be from now (Standard Webhooks: 5 minutes either way). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function')
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : rec[key];
  return Array.isArray(v) ? v.join(' ') : v;
}

/**
 * Checks a webhook of the service and returns its event, or throws a
 * WebhookVerificationError. `secret` is the endpoint's `whsec_...` secret; `rawBody` the
 * body exactly as received (verify before parsing: a re-serialised body does not match).
 * The signature is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the secret's
 * base64-decoded key; the timestamp must be within 5 minutes of now (replays of old
 * deliveries are refused).
 */
export function verifyWebhook<T = Record<string, unknown>>(
  secret: string,
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  options: { toleranceSeconds?: number; now?: Date } = {},
): WebhookEvent<T> {
  if (typeof secret !== 'string' || secret.length === 0) throw new WebhookVerificationError('The webhook secret is missing.');
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('The webhook secret is not valid base64.');
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('The webhook-timestamp is not a Unix time in seconds.');
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(timestamp)) > tolerance)
    throw new WebhookVerificationError('The webhook-timestamp is too far from now (a replay, or a clock off by more than 5 minutes).');

  const body =
    typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  let ok = false;
  for (const part of signatures.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(part.slice(comma + 1), 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  if (!ok) throw new WebhookVerificationError('No webhook-signature matches the body under this secret.');

  let event: { type?: unknown; timestamp?: unknown; data?: unknown };
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('The webhook body is not JSON.');
  }
  if (!event || typeof event !== 'object' || typeof event.type !== 'string')
    throw new WebhookVerificationError('The webhook body is not an event.');
  return { id, type: event.type, timestamp: String(event.timestamp ?? ''), data: (event.data ?? {}) as T };
}
