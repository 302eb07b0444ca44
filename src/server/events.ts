/**
 * Balance changes, for the SSE stream. The writer publishes each commit here; on
 * Postgres the change is also sent with NOTIFY so every instance's subscribers hear
 * about balances moved by another instance (LISTEN on one dedicated connection). The
 * same connection hears changes of a user's access (core/accounts/token-version.ts), so
 * every instance drops its cached copy of that user.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { USERS_CHANNEL } from '../core/accounts/token-version.js';
import type { BalanceChange } from '../core/ledger/types.js';
import type { ErrorLog } from '../core/log.js';
import type { Database } from '../db/open.js';

const CHANNEL = 'credit_balance';

export class BalanceEvents {
  private emitter = new EventEmitter();
  private readonly instance = randomUUID();
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
    const client = new pg.Client({ connectionString, ...(options ? { options } : {}) });
    client.on('notification', (msg) => {
      if (!msg.payload) return;
      if (msg.channel === USERS_CHANNEL) {
        for (const fn of this.userListeners) fn(msg.payload);
        return;
      }
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

  /** Called by the writer after each commit. */
  publish(changes: BalanceChange[]): void {
    for (const c of changes) this.emitter.emit(c.userId, c);
    if (this.database.dialect === 'postgres' && this.database.pgPool) {
      // One NOTIFY per 25 changes (a payload must stay under 8000 bytes), sent after the commit.
      const pool = this.database.pgPool;
      for (let k = 0; k < changes.length; k += 25) {
        const c = changes.slice(k, k + 25);
        pool
          .query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ i: this.instance, c })])
          .catch((err) =>
            this.log.error(
              { err: { message: (err as Error).message }, changes: c.length },
              'balance changes not announced to the other instances',
            ),
          );
      }
    }
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
