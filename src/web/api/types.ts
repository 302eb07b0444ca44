export type Role = 'user' | 'admin' | 'super_admin';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface Balance {
  balance: number;
  reserved: number;
  available: number;
  lifetimePurchased: number;
  lifetimeUsed: number;
  unlimited: boolean;
}

export interface CreditPackage {
  id: string;
  name: string;
  credits: number;
  bonusCredits: number;
  priceCents: number;
  currency: string;
  popular: boolean;
  active: boolean;
}

export interface PricingRule {
  id: string;
  operation: string;
  unit: string;
  credits: number;
  description: string | null;
  active: boolean;
  version?: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Transaction {
  id: string;
  type: string;
  amount: number;
  reservedChange: number;
  balanceAfter: number;
  description: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

export interface UsageReport {
  totalCredits: number;
  totalOperations: number;
  series: { bucket: string; credits: number; operations: number }[];
  byOperation: { operation: string; unit: string; credits: number; operations: number; quantity: number }[];
}

export interface Payment {
  id: string;
  status: string;
  provider: string;
  amountCents: number;
  currency: string;
  credits: number;
  packageId: string | null;
  createdAt: string;
  userId?: string;
  refundedCents?: number;
}

export interface Alert {
  id: string;
  type: string;
  message: string;
  read: boolean;
  createdAt: string;
}

export interface Settings {
  lowBalanceThreshold: number;
  autoRecharge: { enabled: boolean; thresholdCredits: number | null; packageId: string | null };
}

export interface AppConfig {
  paymentsProvider: 'stripe' | 'simulated' | 'none';
  stripePublishableKey: string | null;
  maxUploadMb: number;
  /** Calls are simulated (no VAPI key): they end with the duration the person enters. */
  callsSimulated: boolean;
  /** Mail can be sent: the sign-in page offers "Forgot password?". */
  emailEnabled: boolean;
  emailVerificationRequired: boolean;
}

export type CallStatus = 'queued' | 'in-progress' | 'ending' | 'ended' | 'failed';

export interface Call {
  id: string;
  status: CallStatus;
  phoneNumber: string;
  maxDurationSeconds: number;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number | null;
  charged: number;
  reserved: number;
}

export interface Estimate {
  cost: number;
  available: number;
  allowed: boolean;
}

export interface ChargeInfo {
  charged: number;
  balance: number;
  reserved?: number;
}

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  balance: number;
  available: number;
  lifetimePurchased: number;
  lifetimeUsed: number;
  createdAt: string;
}

export interface AdminUserDetail {
  user: AdminUser;
  transactions: Transaction[];
  payments: Payment[];
}

export interface AdminAnalytics {
  revenueCents: number;
  creditsSold: number;
  creditsUsed: number;
  activeUsers: number;
  payments: { succeeded: number; failed: number };
  byOperation: { operation: string; unit: string; credits: number; operations: number; quantity: number }[];
  series: { bucket: string; revenueCents: number; creditsUsed: number }[];
}

export interface AuditEntry {
  id: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}
