import type { App, AppContext } from '../context.js';
import { adminRoutes } from './admin/admin.js';
import { adminOrganizationRoutes } from './admin/organizations.js';
import { adminPaymentsCsvRoutes } from './admin/payments-csv.js';
import { webhookEventRoutes } from './admin/webhook-events.js';
import { webhookRoutes } from './admin/webhooks.js';
import { apiKeyRoutes } from './admin/api-keys.js';
import { liabilityRoutes } from './admin/liability.js';
import { authRoutes } from './auth/auth.js';
import { setupRoutes } from './auth/setup.js';
import { accountRoutes } from './credits/account.js';
import { catalogRoutes } from './credits/catalog.js';
import { historyRoutes } from './credits/history.js';
import { promoCodeRoutes } from './credits/promo-codes.js';
import { healthRoutes } from './ops/health.js';
import { orgRoutes } from './orgs/orgs.js';
import { stripeWebhookRoutes } from './payments/stripe-webhook.js';
import { messageRoutes } from './platform/messages.js';
import { meteredRoutes } from './platform/metered.js';
import { vapiRoutes } from './platform/vapi.js';
import { customerRoutes } from './service/customers.js';
import { holdRoutes } from './service/holds.js';
import { serviceUsageRoutes } from './service/usage.js';

/** Every route module, in one list. */
export async function registerRoutes(app: App, ctx: AppContext) {
  await healthRoutes(app, ctx);
  await authRoutes(app, ctx);
  await setupRoutes(app, ctx);
  await catalogRoutes(app, ctx);
  await historyRoutes(app, ctx);
  await accountRoutes(app, ctx);
  await messageRoutes(app, ctx);
  await vapiRoutes(app, ctx);
  await meteredRoutes(app, ctx);
  await adminRoutes(app, ctx);
  await adminOrganizationRoutes(app, ctx);
  await webhookEventRoutes(app, ctx);
  await adminPaymentsCsvRoutes(app, ctx);
  await webhookRoutes(app, ctx);
  await apiKeyRoutes(app, ctx);
  await promoCodeRoutes(app, ctx);
  await orgRoutes(app, ctx);
  await liabilityRoutes(app, ctx);
  await customerRoutes(app, ctx);
  await serviceUsageRoutes(app, ctx);
  await holdRoutes(app, ctx);
  await stripeWebhookRoutes(app, ctx);
}
