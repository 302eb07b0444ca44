/**
 * The contract's shapes as TypeScript types, inferred from its schemas: what a client
 * reads (`Shape<'Transaction'>`). Type-only, so importing them bundles nothing. Request
 * and answer types of each endpoint come from endpoints.ts (RequestOf, ResponseOf);
 * these name the shapes the answers share.
 */
import type { z } from 'zod';
import type { adminPaymentSchema, adminUserSchema, auditSchema, webhookEventSchema } from './admin.js';
import type { roleSchema, userSchema } from './auth.js';
import type { callSchema } from './calls.js';
import type { balanceSchema, chargeSchema, packageSchema, pricingRuleSchema } from './credits.js';
import type { alertSchema, paymentSchema, transactionSchema } from './credits-extra.js';
import type { heldCredits } from './holds.js';
import type { webhookDeliverySchema, webhookEndpointSchema } from './webhooks.js';

export type { ErrorCode } from './common.js';

/** The schemas of the shapes a client names. */
interface Schemas {
  User: typeof userSchema;
  Role: typeof roleSchema;
  Balance: typeof balanceSchema;
  Transaction: typeof transactionSchema;
  Charge: typeof chargeSchema;
  CreditPackage: typeof packageSchema;
  PricingRule: typeof pricingRuleSchema;
  Payment: typeof paymentSchema;
  Call: typeof callSchema;
  HeldCredits: typeof heldCredits;
  Alert: typeof alertSchema;
  AdminUser: typeof adminUserSchema;
  AdminPayment: typeof adminPaymentSchema;
  AuditEntry: typeof auditSchema;
  WebhookEvent: typeof webhookEventSchema;
  WebhookEndpoint: typeof webhookEndpointSchema;
  WebhookDelivery: typeof webhookDeliverySchema;
}

/** A shape of the contract by name, as a client reads it. */
export type Shape<N extends keyof Schemas> = z.output<Schemas[N]>;

/** A page of a list: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
