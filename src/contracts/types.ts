/**
 * The contract's shapes as TypeScript types, inferred from its schemas: what a client
 * reads. Type-only, so importing them bundles nothing.
 */
import type { z } from 'zod';
import type { adminUserSchema, analyticsResponse, auditSchema, userDetail } from './admin.js';
import type { roleSchema, userSchema } from './auth.js';
import type { callSchema, callStatusSchema } from './calls.js';
import type { ErrorCode, errorSchema } from './common.js';
import type { balanceSchema, chargeSchema, estimateResponse, packageSchema, pricingRuleSchema } from './credits.js';
import type { alertSchema, paymentSchema, settingsSchema, transactionSchema, usageResponse } from './credits-extra.js';
import type { adminPaymentSchema } from './admin.js';
import type { configResponse } from './operations.js';

export type { ErrorCode };
export type ErrorBody = z.output<typeof errorSchema>;

export type Role = z.output<typeof roleSchema>;
export type User = z.output<typeof userSchema>;
export type Balance = z.output<typeof balanceSchema>;
export type CreditPackage = z.output<typeof packageSchema>;
export type PricingRule = z.output<typeof pricingRuleSchema>;
export type Estimate = z.output<typeof estimateResponse>;
export type Charge = z.output<typeof chargeSchema>;
export type Transaction = z.output<typeof transactionSchema>;
export type TransactionType = Transaction['type'];
export type UsageReport = z.output<typeof usageResponse>;
export type Alert = z.output<typeof alertSchema>;
export type Settings = z.output<typeof settingsSchema>;
export type Payment = z.output<typeof paymentSchema>;
export type PaymentStatus = Payment['status'];
export type AppConfig = z.output<typeof configResponse>;
export type Call = z.output<typeof callSchema>;
export type CallStatus = z.output<typeof callStatusSchema>;
export type AdminUser = z.output<typeof adminUserSchema>;
export type AdminUserDetail = z.output<typeof userDetail>;
export type AdminPayment = z.output<typeof adminPaymentSchema>;
export type AdminAnalytics = z.output<typeof analyticsResponse>;
export type AuditEntry = z.output<typeof auditSchema>;

/** A page of a list: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
