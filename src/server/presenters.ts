/**
 * Rows and use-case results as the contract answers them (src/contracts): amounts from
 * millicredits to credits, times to ISO strings, flags to booleans. Every route presents
 * through these, so one thing is always shown one way.
 */
import { mcToCredits } from '../contracts/money.js';
import type { Settings } from '../core/accounts/settings.js';
import type { AuditRow } from '../core/audit/list-audit.js';
import type { UserWithAccount } from '../core/accounts/get-user.js';
import type { OrganizationWithMembers } from '../core/accounts/list-organizations.js';
import { type ListedCall, callStatusWord } from '../core/calls/list-calls.js';
import { isoTime } from '../core/iso-time.js';
import type { HeldCredits } from '../core/holds/list-held-credits.js';
import type { Balance } from '../core/ledger/ledger.js';
import type { AdminPaymentRow } from '../core/payments/list-admin-payments.js';
import type { AccountPaymentRow } from '../core/payments/list-payments.js';
import type { WebhookEventEntry } from '../core/payments/list-webhook-events.js';
import type { ExpiringSoon } from '../core/ledger/expiring-soon.js';
import type { Applied } from '../core/ledger/types.js';
import type { AdminAnalytics } from '../core/reports/get-admin-analytics.js';
import type { UsageGroup, UsageRange, UsageReport } from '../core/usage/get-usage.js';
import type { MemberUsage } from '../core/usage/usage-by-member.js';
import type { AlertType, CallRow, GrantRow, PackageRow, PaymentRow, PricingRow, Role, TransactionRow } from '../db/schema.js';

const iso = isoTime;
const json = (text: string | null) => (text ? (JSON.parse(text) as Record<string, unknown>) : null);

export function toBalance(b: Balance, unlimited: boolean, soon: ExpiringSoon) {
  return {
    balance: mcToCredits(b.balanceMc),
    reserved: mcToCredits(b.reservedMc),
    available: mcToCredits(b.availableMc),
    lifetimePurchased: mcToCredits(b.lifetimePurchasedMc),
    lifetimeUsed: mcToCredits(b.lifetimeUsedMc),
    unlimited,
    expiringSoon: { credits: mcToCredits(soon.creditsMc), at: soon.at === null ? null : iso(soon.at) },
  };
}

export function toPackage(p: PackageRow) {
  return {
    id: p.id,
    name: p.name,
    credits: mcToCredits(p.credits_mc),
    bonusCredits: mcToCredits(p.bonus_credits_mc),
    priceCents: p.price_cents,
    currency: p.currency,
    popular: p.popular === 1,
    active: p.active === 1,
    creditsExpireInDays: p.credits_expire_in_days,
    bonusExpireInDays: p.bonus_expire_in_days,
  };
}

export function toRule(r: PricingRow) {
  return {
    id: r.id,
    operation: r.operation,
    unit: r.unit,
    credits: mcToCredits(r.credits_mc),
    description: r.description,
    active: r.active === 1,
    version: r.version,
  };
}

export function toTransaction(t: TransactionRow) {
  return {
    id: t.id,
    type: t.type,
    amount: mcToCredits(t.amount_mc),
    reservedChange: mcToCredits(t.reserved_change_mc),
    balanceAfter: mcToCredits(t.balance_after_mc),
    description: t.description,
    metadata: json(t.metadata),
    memberId: t.member_id ?? null,
    createdAt: iso(t.created_at),
  };
}

/** An admin's adjustment as answered: its ledger row and the balance after it. */
export function toAdjustment(a: Applied, reason: string, actorId: string) {
  return {
    transaction: {
      id: a.transactionId as string,
      type: 'adjustment' as const,
      amount: mcToCredits(a.amountMc),
      reservedChange: 0,
      balanceAfter: mcToCredits(a.balanceMc),
      description: reason,
      metadata: { reason, actorId },
      memberId: null,
      createdAt: iso(a.createdAt),
    },
    balance: { balance: mcToCredits(a.balanceMc), reserved: mcToCredits(a.reservedMc), available: mcToCredits(a.availableMc) },
  };
}

const FORMULA = /^[=+\-@\t\r]/;

/**
 * A text cell that a spreadsheet will not run: text starting with = + - @, a tab or a
 * carriage return gets a leading '. Only text columns go through this (even text that
 * looks like a number, such as a description "-1"); numeric columns (amounts) are written
 * as plain numbers, so -0.1 stays a number.
 */
export function safeCell(v: string): string {
  return FORMULA.test(v) ? `'${v}` : v;
}

export const TRANSACTIONS_CSV_HEADER = [
  'id',
  'createdAt',
  'type',
  'amount',
  'reservedChange',
  'balanceAfter',
  'description',
  'metadata',
  'memberId',
];

/** A ledger row as a line of the CSV export (the columns of TRANSACTIONS_CSV_HEADER). */
export function toTransactionCsv(t: TransactionRow): string[] {
  return [
    t.id,
    iso(t.created_at),
    t.type,
    String(mcToCredits(t.amount_mc)),
    String(mcToCredits(t.reserved_change_mc)),
    String(mcToCredits(t.balance_after_mc)),
    safeCell(t.description),
    safeCell(t.metadata ?? ''),
    safeCell(t.member_id ?? ''),
  ];
}

/** The header line of the admin payments CSV. */
export const ADMIN_PAYMENTS_CSV_HEADER = [
  'id',
  'createdAt',
  'userId',
  'userEmail',
  'status',
  'provider',
  'packageId',
  'amountCents',
  'currency',
  'credits',
  'refundedCents',
  'disputeStatus',
  'stripePaymentIntentId',
  'failureReason',
  'receiptUrl',
  'accountKind',
  'accountName',
];

/** The header line of the liability CSV: one line per figure. */
export const LIABILITY_CSV_HEADER = ['asOf', 'figure', 'from', 'to', 'credits', 'valueCents'];

export const USAGE_CSV_HEADER = ['bucket', 'operation', 'unit', 'operations', 'quantity', 'credits'];

/** One bucket's usage of one operation and unit as a line of the usage CSV (the columns of USAGE_CSV_HEADER). */
export function toUsageCsv(g: UsageGroup): string[] {
  return [
    iso(g.bucket),
    safeCell(g.operation),
    safeCell(g.unit),
    String(g.operations),
    String(g.quantityMilli / 1000),
    String(mcToCredits(g.mc)),
  ];
}

/** What a purchase answers of its payment. */
export function toPurchasedPayment(p: PaymentRow) {
  return {
    id: p.id,
    status: p.status,
    provider: p.provider,
    amountCents: p.amount_cents,
    currency: p.currency,
    credits: mcToCredits(p.credits_mc + p.bonus_credits_mc),
  };
}

export function toPayment(p: PaymentRow) {
  return { ...toPurchasedPayment(p), packageId: p.package_id, createdAt: iso(p.created_at), receiptUrl: p.receipt_url };
}

/** A payment in the account's own list (`GET /api/credits/payments`): with who bought it, which on an organisation is one of its owners or admins. */
export function toAccountPayment(p: AccountPaymentRow) {
  const boughtBy = p.bought_by && p.buyer_email !== null ? { userId: p.bought_by, email: p.buyer_email, name: p.buyer_name ?? '' } : null;
  return { ...toPayment(p), packageName: p.package_name, refundedCents: p.refunded_cents, boughtBy };
}

/** A payment as the admin list and its CSV show it: whose it is, what became of it. */
export function toAdminPayment(p: AdminPaymentRow) {
  return {
    ...toPayment(p),
    userId: p.user_id,
    userEmail: p.user_email,
    accountKind: p.account_kind ?? (p.user_email === null ? ('organization' as const) : ('personal' as const)),
    accountName: p.account_name ?? p.user_email ?? p.user_id,
    refundedCents: p.refunded_cents,
    stripePaymentIntentId: p.stripe_payment_intent_id,
    failureReason: p.failure_message,
    disputeStatus: p.dispute_status,
  };
}

export function toSettings(s: Settings) {
  return {
    lowBalanceThreshold: mcToCredits(s.lowBalanceThresholdMc),
    autoRecharge: {
      enabled: s.autoRecharge.enabled,
      thresholdCredits: s.autoRecharge.thresholdMc === null ? null : mcToCredits(s.autoRecharge.thresholdMc),
      packageId: s.autoRecharge.packageId,
    },
  };
}

export function toGrant(g: GrantRow) {
  return {
    id: g.id,
    source: g.source,
    credits: mcToCredits(g.credits_mc),
    remaining: mcToCredits(g.remaining_mc),
    expiresAt: g.expires_at === null ? null : iso(g.expires_at),
    expired: mcToCredits(g.expired_mc),
    createdAt: iso(g.created_at),
  };
}

export function toAlert(a: { id: string; type: AlertType; message: string; read: number; created_at: number }) {
  return { id: a.id, type: a.type, message: a.message, read: a.read === 1, createdAt: iso(a.created_at) };
}

/** A user: a row (`created_at`) or a use-case's result (`createdAt`). */
export function toUser(u: { id: string; email: string; name: string; role: Role; created_at?: number; createdAt?: number }) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, createdAt: iso((u.created_at ?? u.createdAt) as number) };
}

/** An organisation with its figures and members, for the admin screens. */
export function toAdminOrganization(o: OrganizationWithMembers) {
  return {
    id: o.id,
    name: o.name,
    externalId: o.external_id,
    balance: mcToCredits(o.balance_mc),
    reserved: mcToCredits(o.reserved_mc),
    available: mcToCredits(o.available_mc),
    lifetimePurchased: mcToCredits(o.lifetime_purchased_mc),
    lifetimeUsed: mcToCredits(o.lifetime_used_mc),
    createdAt: iso(o.created_at),
    members: o.members.map((m) => ({
      userId: m.user_id,
      email: m.email,
      name: m.name,
      role: m.role,
      monthlyLimit: m.monthly_limit_mc === null ? null : mcToCredits(m.monthly_limit_mc),
    })),
  };
}

export function toAdminUser(u: UserWithAccount) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    balance: mcToCredits(u.balance_mc),
    reserved: mcToCredits(u.reserved_mc),
    available: mcToCredits(u.available_mc),
    lifetimePurchased: mcToCredits(u.lifetime_purchased_mc),
    lifetimeUsed: mcToCredits(u.lifetime_used_mc),
    externalId: u.external_id,
    createdAt: iso(u.created_at),
  };
}

export function toAuditEntry(a: AuditRow) {
  const targetName =
    a.target_type === 'user' || a.target_type === 'payment'
      ? a.target_user_name
      : a.target_type === 'pricing' && a.rule_operation && a.rule_unit
        ? `${a.rule_operation} ${a.rule_unit}`
        : (a.package_name ?? a.api_key_name ?? a.endpoint_url ?? a.organization_name ?? null);
  return {
    id: a.id,
    actorId: a.actor_id,
    actorEmail: a.actor_email,
    actorName: a.actor_name,
    action: a.action,
    targetType: a.target_type,
    targetId: a.target_id,
    targetUserId: a.target_user_id,
    targetEmail: a.target_email,
    targetName: targetName ?? null,
    details: json(a.details),
    createdAt: iso(a.created_at),
  };
}

const toOperationUsage = (o: UsageReport['byOperation'][number]) => ({
  operation: o.operation,
  unit: o.unit,
  credits: mcToCredits(o.mc),
  operations: o.operations,
  quantity: o.quantityMilli / 1000,
});

export function toUsage(range: UsageRange, u: UsageReport, byMember?: MemberUsage[]) {
  return {
    ...(byMember
      ? { byMember: byMember.map((m) => ({ memberId: m.memberId, name: m.name, credits: mcToCredits(m.mc), operations: m.operations })) }
      : {}),
    from: iso(range.from),
    to: iso(range.to),
    granularity: range.granularity,
    totalCredits: mcToCredits(u.totalMc),
    totalOperations: u.totalOperations,
    series: u.series.map((s) => ({
      bucket: iso(s.bucket),
      credits: mcToCredits(s.mc),
      operations: s.operations,
      byOperation: Object.fromEntries(Object.entries(s.byOperationMc).map(([op, mc]) => [op, mcToCredits(mc)])),
    })),
    byOperation: u.byOperation.map(toOperationUsage),
  };
}

export function toAnalytics(a: AdminAnalytics) {
  return {
    from: iso(a.range.from),
    to: iso(a.range.to),
    revenueCents: a.revenueCents,
    refundsCents: a.refundsCents,
    disputesCents: a.disputesCents,
    creditsSold: mcToCredits(a.soldMc),
    creditsUsed: mcToCredits(a.usage.totalMc),
    activeUsers: a.activeUsers,
    payments: a.payments,
    byOperation: a.usage.byOperation.map(toOperationUsage),
    series: a.usage.series.map((s) => ({
      bucket: iso(s.bucket),
      revenueCents: a.revenueByDay.get(s.bucket) ?? 0,
      refundsCents: a.refundsByDay.get(s.bucket) ?? 0,
      disputesCents: a.disputesByDay.get(s.bucket) ?? 0,
      creditsUsed: mcToCredits(s.mc),
    })),
    byPackage: a.byPackage,
    topAccounts: a.topAccounts.map((t) => ({ accountId: t.accountId, name: t.name, creditsUsed: mcToCredits(t.usedMc) })),
  };
}

/** The id the API shows for a call: VAPI's, or ours while VAPI has not confirmed it. */
export const publicCallId = (c: CallRow) => c.vapi_id ?? c.id;

/** One hold on a user's balance (a call's minutes, a service API hold, a dispute). */
export function toHeldCredits(h: HeldCredits) {
  return {
    id: h.id,
    kind: h.kind,
    description: h.description,
    operation: h.operation,
    unit: h.unit,
    credits: mcToCredits(h.amountMc),
    createdAt: iso(h.createdAt),
    expiresAt: h.expiresAt === null ? null : iso(h.expiresAt),
    callId: h.callId,
  };
}

export function toCall(c: ListedCall) {
  return {
    id: publicCallId(c),
    status: callStatusWord(c),
    phoneNumber: c.phone_number,
    maxDurationSeconds: c.max_duration_seconds,
    startedAt: iso(c.created_at),
    endedAt: c.ended_at === null ? null : iso(c.ended_at),
    durationSeconds: c.duration_ms === null ? null : c.duration_ms / 1000,
    charged: mcToCredits(c.charged_mc ?? 0),
    reserved: mcToCredits(c.heldMc),
  };
}

/** A Stripe event the webhook recorded; one received before outcomes were recorded is `unrecorded`. */
export function toWebhookEvent(e: WebhookEventEntry) {
  return {
    id: e.id,
    type: e.type,
    receivedAt: new Date(e.receivedAt).toISOString(),
    outcome: e.outcome === 'applied' || e.outcome === 'ignored' ? (e.outcome as 'applied' | 'ignored') : ('unrecorded' as const),
    paymentId: e.paymentId,
  };
}
