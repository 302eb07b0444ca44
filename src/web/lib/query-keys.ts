/**
 * Every React Query key of the dashboard, from one place: a list's key starts with its
 * family's (`keys.transactions.all`), so invalidating the family refreshes every filter
 * and page of it.
 */
import type { EndpointKey, QueryOf } from '../../contracts/endpoints.js';

/** The words of an endpoint's path after `/api/` (`GET /api/admin/audit` → `['admin', 'audit']`). */
const pathWords = (endpoint: EndpointKey): string[] => endpoint.slice(endpoint.indexOf(' /api/') + ' /api/'.length).split('/');

export const keys = {
  /**
   * The key of a list read from `endpoint` with `query` (a `PagedTable`'s): the path's words
   * after `/api/`, then the query (`GET /api/admin/audit` → `['admin', 'audit', { limit: 50 }]`).
   * Its family's key below (`keys.admin.audit`) is a prefix of it: invalidating the family
   * refreshes the list.
   */
  list: (endpoint: EndpointKey, query: object) => [...pathWords(endpoint), query] as const,
  me: (token: string | null) => ['me', token] as const,
  config: ['config'] as const,
  accounts: (token: string | null) => ['accounts', token] as const,
  members: (orgId: string) => ['members', orgId] as const,
  invitations: (orgId: string) => ['invitations', orgId] as const,
  setupStatus: ['setup-status'] as const,
  packages: ['packages'] as const,
  balance: ['balance'] as const,
  settings: ['settings'] as const,
  transactions: {
    all: ['transactions'] as const,
    list: (type: string, from = '', to = '') => ['transactions', type, from, to] as const,
  },
  usage: {
    all: ['usage'] as const,
    report: (granularity: string, from: string, to: string, byMember = false) => ['usage', granularity, from, to, byMember] as const,
  },
  alerts: ['alerts'] as const,
  payments: ['payments'] as const,
  holds: ['holds'] as const,
  estimate: {
    all: ['estimate'] as const,
    one: (operation: string, unit: string, quantity: number | null) => ['estimate', operation, unit, quantity] as const,
  },
  calls: {
    all: ['calls'] as const,
    open: ['calls', 'open'] as const,
  },
  admin: {
    all: ['admin'] as const,
    users: (search: string) => ['admin', 'users', search] as const,
    organizations: (search: string) => ['admin', 'organizations', search] as const,
    user: (id: string) => ['admin', 'user', id] as const,
    userUsage: (id: string, from: string, to: string) => ['admin', 'user', id, 'usage', from, to] as const,
    packages: ['admin', 'packages'] as const,
    pricing: ['admin', 'pricing'] as const,
    payments: (status: QueryOf<'GET /api/admin/payments'>['status'] | '') => ['admin', 'payments', status] as const,
    webhookEvents: ['admin', 'webhook-events'] as const,
    analytics: (from: string, to: string) => ['admin', 'analytics', from, to] as const,
    audit: ['admin', 'audit'] as const,
    webhooks: ['admin', 'webhooks'] as const,
    apiKeys: ['admin', 'api-keys'] as const,
    promoCodes: ['admin', 'promo-codes'] as const,
    liability: (asOf: string) => ['admin', 'liability', asOf] as const,
    webhookDeliveries: (endpointId: string) => ['admin', 'webhooks', endpointId, 'deliveries'] as const,
  },
};

/** Queries whose data follows the balance: refreshed whenever it changes. */
export const BALANCE_FOLLOWERS = [
  keys.transactions.all,
  keys.usage.all,
  keys.alerts,
  keys.estimate.all,
  keys.payments,
  keys.holds,
  // A call started or ended (here, in another tab, or by VAPI's report) moves the balance: the "Open calls" list follows.
  keys.calls.all,
  // An organisation's members' use this month (the Team page) moves with its balance.
  ['members'] as const,
] as const;
