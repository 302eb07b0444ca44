/**
 * The delivery worker: sends pending deliveries in the Standard Webhooks format, at least
 * once, retried on Standard Webhooks' schedule with jitter until a 2xx or the last
 * attempt (then `failed`).
 *
 * - Claims: a delivery is leased (`claimed_at`, `claim_token`) by one statement that
 *   re-checks it is still due and unclaimed (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on
 *   SQLite the single writer serialises it), so several instances never send one attempt
 *   at the same time. A lease outlives the request's timeout; an instance that dies
 *   mid-attempt leaves a lease that expires, and another (or itself, restarted) sends
 *   the delivery again: at least once, never lost.
 * - Isolation: each attempt has its own timeout, attempts run concurrently, and one
 *   endpoint has at most `perEndpoint` attempts in flight on an instance, so a slow or
 *   dead endpoint never holds up another's events.
 * - The outcome (status, next attempt, the attempt's row) is written only by the claim's
 *   holder (its token), in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../db/open.js';
import { newId } from '../ids.js';
import type { ErrorLog } from '../log.js';
import { legacySignature, signPayload } from './signature.js';

/** The receiver's answer; a network error, a timeout or a refused address throws. */
export interface WebhookSender {
  send(req: { url: string; headers: Record<string, string>; body: string; timeoutMs: number }): Promise<{ status: number }>;
}

/**
 * Standard Webhooks' schedule: the first attempt at once, then these waits after each
 * failure (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): eight attempts over about a day.
 */
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

export interface WorkerOptions {
  log: ErrorLog;
  now?: () => number;
  /** Attempts in flight on this instance (16). */
  concurrency?: number;
  /** Attempts in flight to one endpoint on this instance (4). */
  perEndpoint?: number;
  /** One attempt's timeout (15 s). */
  timeoutMs?: number;
  /** How long a claim holds; must exceed the timeout (timeout + 15 s). */
  leaseMs?: number;
  /** Multiplies the retry schedule (1; tests shrink it). */
  scheduleScale?: number;
  /** ± this share of each wait, at random (0.1). */
  jitter?: number;
  random?: () => number;
}

interface Claimed {
  id: string;
  endpoint_id: string;
  event_id: string;
  attempts: number;
  claim_token: string;
}

export class WebhookDeliveryWorker {
  private readonly inFlight = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private total = 0;
  private stopped = false;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly perEndpoint: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly scale: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(
    private readonly database: Database,
    private readonly sender: WebhookSender,
    private readonly opts: WorkerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.concurrency = opts.concurrency ?? 16;
    this.perEndpoint = opts.perEndpoint ?? 4;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.leaseMs = Math.max(opts.leaseMs ?? this.timeoutMs + 15_000, this.timeoutMs + 1000);
    this.scale = opts.scheduleScale ?? 1;
    this.jitter = opts.jitter ?? 0.1;
    this.random = opts.random ?? Math.random;
  }

  /** The wait after the `attempts`-th failed attempt, with jitter; null after the last. */
  delayAfter(attempts: number): number | null {
    const base = RETRY_DELAYS_MS[attempts - 1];
    if (base === undefined) return null;
    return Math.round(base * this.scale * (1 + this.jitter * (2 * this.random() - 1)));
  }

  /** Claims what is due (within the free slots) and starts sending it; returns how many started. */
  async poll(): Promise<number> {
    if (this.stopped) return 0;
    const free = this.concurrency - this.total;
    if (free <= 0) return 0;
    const claimed = await this.claim(free);
    for (const c of claimed) {
      this.total++;
      this.inFlight.set(c.endpoint_id, (this.inFlight.get(c.endpoint_id) ?? 0) + 1);
      const p = this.attempt(c)
        .catch((err) => this.opts.log.error({ err, deliveryId: c.id }, 'webhook delivery failed to record'))
        .finally(() => {
          this.total--;
          const n = (this.inFlight.get(c.endpoint_id) ?? 1) - 1;
          if (n <= 0) this.inFlight.delete(c.endpoint_id);
          else this.inFlight.set(c.endpoint_id, n);
          this.running.delete(p);
        });
      this.running.add(p);
    }
    return claimed.length;
  }

  /** One pass that waits for the attempts it started (tests, the CLI). */
  async runOnce(): Promise<number> {
    const n = await this.poll();
    await this.idle();
    return n;
  }

  /** Resolves when no attempt of this instance is in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Claims nothing more; attempts in flight finish (their leases cover a stop cut short). */
  stop(): void {
    this.stopped = true;
  }

  private async claim(free: number): Promise<Claimed[]> {
    const { db, dialect } = this.database;
    const now = this.now();
    const staleBefore = now - this.leaseMs;
    const full = [...this.inFlight].filter(([, n]) => n >= this.perEndpoint).map(([id]) => id);
    // Candidates: due, unclaimed (or their lease expired), of enabled endpoints, at most
    // `perEndpoint` per endpoint, so one endpoint's backlog cannot take every slot.
    let due = db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select([
        'd.id',
        'd.endpoint_id',
        'd.next_attempt_at',
        sql<number>`row_number() over (partition by d.endpoint_id order by d.next_attempt_at, d.id)`.as('rn'),
      ])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.claimed_at', 'is', null), eb('d.claimed_at', '<=', staleBefore)]))
      .where('e.enabled', '=', 1);
    if (full.length > 0) due = due.where('d.endpoint_id', 'not in', full);
    const candidates = await db
      .selectFrom(due.as('t'))
      .select(['t.id', 't.endpoint_id'])
      .where('t.rn', '<=', this.perEndpoint)
      .orderBy('t.next_attempt_at')
      .limit(free * 4)
      .execute();
    const picked: string[] = [];
    const counts = new Map(this.inFlight);
    for (const c of candidates) {
      if (picked.length >= free) break;
      const n = counts.get(c.endpoint_id) ?? 0;
      if (n >= this.perEndpoint) continue;
      counts.set(c.endpoint_id, n + 1);
      picked.push(c.id);
    }
    if (picked.length === 0) return [];
    const token = randomUUID();
    let lock = db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('id', 'in', picked)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<=', staleBefore)]));
    if (dialect === 'postgres') lock = lock.forUpdate().skipLocked();
    return db
      .updateTable('webhook_deliveries')
      .set({ claimed_at: now, claim_token: token })
      .where('id', 'in', lock)
      .returning(['id', 'endpoint_id', 'event_id', 'attempts', 'claim_token'])
      .execute() as Promise<Claimed[]>;
  }

  private async attempt(c: Claimed): Promise<void> {
    const { db } = this.database;
    const [endpoint, event] = await Promise.all([
      db.selectFrom('webhook_endpoints').select(['url', 'secret', 'source']).where('id', '=', c.endpoint_id).executeTakeFirst(),
      db.selectFrom('events').select(['id', 'type', 'data', 'created_at']).where('id', '=', c.event_id).executeTakeFirst(),
    ]);
    if (!endpoint || !event) return; // deleted meanwhile
    const body = `{"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(new Date(event.created_at).toISOString())},"data":${event.data}}`;
    const started = this.now();
    const timestamp = Math.floor(started / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'credit-billing-webhooks/1',
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signPayload(endpoint.secret, event.id, timestamp, body),
    };
    if (endpoint.source === 'config') headers['x-credits-signature'] = legacySignature(endpoint.secret, timestamp, body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = (await this.sender.send({ url: endpoint.url, headers, body, timeoutMs: this.timeoutMs })).status;
      if (status < 200 || status > 299) error = `answered ${status}`;
    } catch (e) {
      error = String((e as Error)?.message ?? e).slice(0, 500);
    }
    const finished = this.now();
    const ok = error === null;
    const attempts = c.attempts + 1;
    const wait = ok ? null : this.delayAfter(attempts);
    await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('webhook_deliveries')
        .set({
          status: ok ? 'succeeded' : wait === null ? 'failed' : 'pending',
          attempts,
          last_status_code: status,
          last_error: error,
          next_attempt_at: wait === null ? finished : finished + wait,
          delivered_at: ok ? finished : null,
          claimed_at: null,
          claim_token: null,
        })
        .where('id', '=', c.id)
        .where('claim_token', '=', c.claim_token)
        .executeTakeFirst();
      // A lease that ran out (this attempt outlived it) belongs to another claim now: the
      // attempt is still logged, the delivery is left to that claim. A deleted one is not.
      if (Number(r.numUpdatedRows) === 0) {
        const exists = await trx.selectFrom('webhook_deliveries').select('id').where('id', '=', c.id).executeTakeFirst();
        if (!exists) return;
      }
      await trx
        .insertInto('webhook_attempts')
        .values({
          id: newId(finished),
          delivery_id: c.id,
          attempted_at: started,
          status_code: status,
          error,
          duration_ms: Math.max(0, finished - started),
        })
        .execute();
    });
  }
}
