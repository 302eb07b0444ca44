/** The dashboard's React Query keys: a list's key (a PagedTable's) falls under its family's, so invalidating the family refreshes it. */
import { describe, expect, it } from 'vitest';
import { keys } from '../../src/web/lib/query-keys.js';

describe('keys.list', () => {
  it("is the endpoint path's words after /api/, then the query", () => {
    expect(keys.list('GET /api/admin/audit', { limit: 50 })).toEqual(['admin', 'audit', { limit: 50 }]);
    expect(keys.list('GET /api/admin/webhook-events', { limit: 25 })).toEqual(['admin', 'webhook-events', { limit: 25 }]);
  });
  it('starts with the family key the pages invalidate', () => {
    const prefixOf = (family: readonly unknown[], key: readonly unknown[]) => family.every((word, i) => key[i] === word);
    expect(prefixOf(keys.admin.audit, keys.list('GET /api/admin/audit', { limit: 50 }))).toBe(true);
    expect(prefixOf(keys.admin.webhookEvents, keys.list('GET /api/admin/webhook-events', { limit: 25 }))).toBe(true);
    expect(prefixOf(keys.admin.promoCodes, keys.list('GET /api/admin/promo-codes', { limit: 50 }))).toBe(true);
    expect(prefixOf(keys.admin.all, keys.list('GET /api/admin/promo-codes', { limit: 50 }))).toBe(true);
  });
});
