/**
 * Balance changes, for the SSE stream. The writer publishes each commit here; on
 * Postgres the writer also sends the changes with NOTIFY (`announcer`, core/ledger/writer.ts:
 * on the batch's own connection right after its commit, never for one rolled back), so every
 * instance's subscribers hear about balances moved by another instance (LISTEN on one
 * dedicated connection, which skips this instance's own unparsed). The
 * same connection hears changes of a user's access (core/accounts/token-version.ts), so
 * every instance drops its cached copy of that user.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { USERS_CHANNEL } from '../core/accounts/token-version.js';
import type { BalanceChange } from '../core/ledger/types.js';
import type { ChangeAnnouncer } from '../core/ledger/writer.js';
import type { ErrorLog } from '../core/log.js';
import type { Database } from '../db/open.js';

const CHANNEL = 'credit_balance';
/** Changes per NOTIFY payload (a payload must stay under 8000 bytes). */
const PER_PAYLOAD = 25;

export class BalanceEvents {
  private emitter = new EventEmitter();
  private readonly instance = randomUUID();
  /** How this instance's own payloads begin (JSON.stringify keeps `i` first): its listener skips them unparsed. */
  private readonly own = `{"i":"${this.instance}",`;
  private listener: pg.Client | null = null;
  private closed = false;
  private readonly userListeners: ((userId: string | null) => void)[] = [];

  constructor(
    private readonly database: Database,
    private readonly log: ErrorLog = { error: (obj, msg) => console.error(msg, obj) },
  ) {
    this.emitter.setMaxListeners(0);
  }

  /** Starts listening to other instances (Postgres only). */
  async start(connectionString?: string, schemaOptions?: string): Promise<void> {
    if (this.database.dialect !== 'postgres' || !connectionString) return;
    await this.connectListener(connectionString, schemaOptions);
  }

  private async connectListener(connectionString: string, options?: string) {
    // Loaded here, not at the module's import: only a PostgreSQL start listens.
    const { default: driver } = await import('pg');
    const client = new driver.Client({ connectionString, ...(options ? { options } : {}) });
    client.on('notification', (msg) => {
      if (!msg.payload) return;
      if (msg.channel === USERS_CHANNEL) {
        for (const fn of this.userListeners) fn(msg.payload);
        return;
      }
      // This instance's own changes were published here at their commit.
      if (msg.payload.startsWith(this.own)) return;
      try {
        const { i, c } = JSON.parse(msg.payload) as { i: string; c: BalanceChange[] };
        if (i !== this.instance) for (const change of c) this.emitter.emit(change.userId, change);
      } catch {
        // Not ours: ignore.
      }
    });
    let lost = false;
    const onLost = () => {
      // Lost the connection (or never had it): reconnect after a pause, for as long as it
      // takes, so other instances' changes keep flowing once the database is back.
      if (lost) return;
      lost = true;
      client.end().catch(() => {});
      if (this.listener === client) this.listener = null;
      this.reconnectLater(connectionString, options);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      await client.query(`listen ${USERS_CHANNEL}`);
      // Changes announced while this instance was not listening were missed: forget every user.
      for (const fn of this.userListeners) fn(null);
    } catch (e) {
      onLost();
      throw e;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.listener = client;
  }

  private reconnectLater(connectionString: string, options?: string) {
    if (this.closed) return;
    setTimeout(() => {
      // A failed attempt has already scheduled the next one (onLost); nothing is lost by not rethrowing it.
      if (!this.closed) void this.connectListener(connectionString, options).catch(() => undefined);
    }, 1000).unref();
  }

  /**
   * The writer's NOTIFY of each transaction's balance changes (PostgreSQL; main.ts hands it to
   * `writer.announceWith`): `PER_PAYLOAD` changes a payload, tagged with this instance.
   */
  readonly announcer: ChangeAnnouncer = {
    channel: CHANNEL,
    payloads: (changes) => {
      const out: string[] = [];
      for (let k = 0; k < changes.length; k += PER_PAYLOAD) {
        out.push(JSON.stringify({ i: this.instance, c: changes.slice(k, k + PER_PAYLOAD) }));
      }
      return out;
    },
    failed: (err, changes) =>
      this.log.error({ err: { message: (err as Error).message }, changes }, 'balance changes not announced to the other instances'),
  };

  /** Called by the writer after each commit: this instance's subscribers (the others hear the writer's NOTIFY). */
  publish(changes: BalanceChange[]): void {
    for (const c of changes) this.emitter.emit(c.userId, c);
  }

  /**
   * `fn` hears the id of every user whose access changed on any instance (PostgreSQL;
   * SQLite has one writer, which invalidates locally), or null when the listener
   * (re)connected and changes may have been missed.
   */
  onUserChanged(fn: (userId: string | null) => void): void {
    this.userListeners.push(fn);
  }

  subscribe(userId: string, fn: (c: BalanceChange) => void): () => void {
    this.emitter.on(userId, fn);
    return () => this.emitter.off(userId, fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    const l = this.listener;
    this.listener = null;
    await l?.end().catch(() => {});
  }
}
