export { CreditsClient, Hold, type CreditsClientOptions } from './client.js';
export { CreditsApiError, InsufficientCreditsError, WebhookVerificationError, type ApiErrorBody } from './errors.js';
export { verifyWebhook, WEBHOOK_TOLERANCE_SECONDS, type WebhookEvent, type WebhookHeaders } from './webhooks.js';
export type * from './types.js';
