/**
 * Delivers alerts beyond the app: to a webhook (the body signed with HMAC-SHA256) and by
 * email. The outbox is a table: each alert gets one delivery row per configured channel,
 * tried until it succeeds, with exponential backoff (base × 2^attempts, at most an hour,
 * 12 tries), and the rows survive restarts. Several instances may run this: a row is
 * leased with a conditional UPDATE before it is tried.
 *
 * A personal account's alert goes to its user's address; an organisation's to the
 * addresses of its owners (one message, every owner a recipient). An organisation without
 * an owner with a deliverable address has no one to mail: its delivery is `dead` at once
 * with that reason (placeholder addresses under `.invalid` never receive mail).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { newId } from '../ids.js';

export interface AlertMessage {
  id: string;
  type: string;
  /** The account's id (a personal account's is its user's). */
  userId: string;
  /** The recipients: the user's address, or an organisation's owners' addresses joined by ", ". */
  email: string;
  message: string;
  createdAt: string;
}

export interface AlertChannel {
  name: 'webhook' | 'email';
  send(alert: AlertMessage): Promise<void>;
}

const MAX_ATTEMPTS = 12;
const LEASE_MS = 60_000;
/** Alerts older than this when a channel is first configured are not sent. */
const LOOKBACK_MS = 24 * 3_600_000;

export class AlertDelivery {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly channels: AlertChannel[],
    private readonly opts: { retryBaseMs?: number; now?: () => number } = {},
  ) {}

  get enabled() {
    return this.channels.length > 0;
  }

  private now() {
    return (this.opts.now ?? Date.now)();
  }

  /** One pass: enqueue new alerts, then try what is due. Returns the deliveries made. */
  async runOnce(): Promise<number> {
    if (!this.enabled) return 0;
    await this.enqueue();
    return this.deliverDue();
  }

  private async enqueue() {
    const now = this.now();
    for (const ch of this.channels) {
      const fresh = await this.db
        .selectFrom('credit_alerts as a')
        .leftJoin('alert_deliveries as d', (j) => j.onRef('d.alert_id', '=', 'a.id').on('d.channel', '=', ch.name))
        .select('a.id')
        .where('a.created_at', '>=', now - LOOKBACK_MS)
        .where('d.id', 'is', null)
        .limit(500)
        .execute();
      if (fresh.length === 0) continue;
      await this.db
        .insertInto('alert_deliveries')
        .values(
          fresh.map((a) => ({
            id: newId(now),
            alert_id: a.id,
            channel: ch.name,
            status: 'pending' as const,
            attempts: 0,
            next_attempt_at: now,
            last_error: null,
            created_at: now,
            delivered_at: null,
          })),
        )
        .onConflict((oc) => oc.columns(['alert_id', 'channel']).doNothing())
        .execute();
    }
  }

  private async deliverDue(): Promise<number> {
    const now = this.now();
    const due = await this.db
      .selectFrom('alert_deliveries as d')
      .innerJoin('credit_alerts as a', 'a.id', 'd.alert_id')
      // An organisation's alert has no user of the account's id: its owners are read below.
      .leftJoin('users as u', 'u.id', 'a.user_id')
      // The delivery, then the alert it carries (what the channel sends).
      .select(['d.id', 'd.channel', 'd.attempts', 'd.next_attempt_at'])
      .select(['a.id as alertId', 'a.type', 'a.user_id', 'a.message', 'a.created_at', 'u.email'])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .orderBy('d.next_attempt_at')
      .limit(100)
      .execute();
    let delivered = 0;
    for (const d of due) {
      const lease = await this.db
        .updateTable('alert_deliveries')
        .set({ next_attempt_at: now + LEASE_MS })
        .where('id', '=', d.id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '=', d.next_attempt_at)
        .executeTakeFirst();
      if (Number(lease.numUpdatedRows) !== 1) continue;
      const channel = this.channels.find((c) => c.name === d.channel);
      if (!channel) continue;
      const email = d.email ?? (await this.ownersAddresses(d.user_id));
      if (email === null) {
        await this.db
          .updateTable('alert_deliveries')
          .set({ status: 'dead', attempts: d.attempts + 1, last_error: 'The organisation has no owner with a deliverable address.' })
          .where('id', '=', d.id)
          .execute();
        continue;
      }
      try {
        await channel.send({
          id: d.alertId,
          type: d.type,
          userId: d.user_id,
          email,
          message: d.message,
          createdAt: new Date(d.created_at).toISOString(),
        });
        await this.db
          .updateTable('alert_deliveries')
          .set({ status: 'delivered', attempts: d.attempts + 1, delivered_at: this.now(), last_error: null })
          .where('id', '=', d.id)
          .execute();
        delivered++;
      } catch (e) {
        const attempts = d.attempts + 1;
        const wait = Math.min(3_600_000, (this.opts.retryBaseMs ?? 5000) * 2 ** (attempts - 1));
        await this.db
          .updateTable('alert_deliveries')
          .set({
            attempts,
            status: attempts >= MAX_ATTEMPTS ? 'dead' : 'pending',
            next_attempt_at: this.now() + wait,
            last_error: String((e as Error).message ?? e).slice(0, 500),
          })
          .where('id', '=', d.id)
          .execute();
      }
    }
    return delivered;
  }

  /** An organisation's owners' deliverable addresses, joined for one message; null when there is none. */
  private async ownersAddresses(accountId: string): Promise<string | null> {
    const owners = await this.db
      .selectFrom('account_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.email')
      .where('m.account_id', '=', accountId)
      .where('m.role', '=', 'owner')
      .orderBy('m.created_at')
      .orderBy('u.email')
      .execute();
    const addresses = owners.map((o) => o.email).filter((e) => !e.endsWith('.invalid'));
    return addresses.length > 0 ? addresses.join(', ') : null;
  }
}
