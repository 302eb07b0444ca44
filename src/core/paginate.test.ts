/**
 * paginate() by two columns: rows that tie on the first (events received in one millisecond)
 * are ordered and paged by the second, so walking the pages lists each row once, in the
 * order of one read of everything (both databases).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { activeDialects, createTestDb, type TestDb } from '../../test/support/db.js';
import { listWebhookEvents, type WebhookEventsKey } from './payments/list-webhook-events.js';

describe.each(await activeDialects())('paginate by two columns on %s', (dialect) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it('pages rows that tie on the first column by the second, each once, newest first', async () => {
    t = await createTestDb(dialect);
    const db = t.database.db;
    // Three at one millisecond, two at another; a non-Stripe key is not listed.
    const at = [1000, 2000, 2000, 2000, 3000];
    const ids = ['evt_a', 'evt_c', 'evt_b', 'evt_e', 'evt_d'];
    await db
      .insertInto('processed_events')
      .values([
        ...ids.map((id, i) => ({
          id: `stripe:${id}`,
          type: 'customer.updated',
          created_at: at[i] ?? 0,
          outcome: 'ignored',
          payment_id: null,
        })),
        { id: 'vapi:call', type: 'x', created_at: 2000, outcome: null, payment_id: null },
      ])
      .execute();

    const all = await listWebhookEvents(db, { limit: 50 });
    expect(all.rows.map((e) => e.id)).toEqual(['evt_d', 'evt_e', 'evt_c', 'evt_b', 'evt_a']);
    expect(all.next).toBeNull();

    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let after: WebhookEventsKey | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await listWebhookEvents(db, { limit, after });
        seen.push(...page.rows.map((e) => e.id));
        if (page.next === null) break;
        after = page.next;
      }
      expect(seen).toEqual(['evt_d', 'evt_e', 'evt_c', 'evt_b', 'evt_a']);
    }
  });
});
