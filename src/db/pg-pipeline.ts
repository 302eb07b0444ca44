/**
 * The ledger writer's PostgreSQL transactions in two round trips instead of four
 * (bench/analysis.md, "Two round trips a batch"). node-postgres's `pipeline` client option
 * writes a query without waiting for the answer of the one before; each query still ends
 * with its own Sync, so the server answers them one by one, in order, and an error belongs
 * to the query that caused it. On such a connection a writer transaction writes `begin`
 * together with its first statement (the lock), and its last write together with `commit`:
 * the same statements in the same order, in one transaction, with half the waits.
 *
 * Errors: a statement written ahead is awaited by the statement after it, and the first
 * failure in order is the one thrown (a `begin` that failed before the lock that followed
 * it, a write that failed before `commit`). A write that failed leaves the transaction
 * aborted, so the `commit` written behind it answers ROLLBACK: nothing of the batch is
 * applied and the writer retries its operations one by one, as when the write fails
 * without the pipeline. A connection lost while both are unanswered fails both with the
 * connection error: whether the commit landed is unknown, as it is today (errors.ts).
 *
 * Kysely waits for each query of a connection before sending the next, so this connection
 * is Kysely's, with one Kysely instance bound to it (created once per pg client):
 * `executeQuery` returns at once for a statement marked to be written ahead.
 *
 * After the commit: a statement registered with `afterCommit` (the writer's NOTIFY of the
 * batch's balance changes) is written on the same connection once `commit` has answered, and
 * not awaited; the connection goes back to the pool with it in flight, the next transaction's
 * statements queue behind it, and `end` waits for it.
 *
 * Prepared statements (PG_PREPARED_WRITES, on by default): each statement text gets a name on
 * its connection and is sent as a named statement, so PostgreSQL parses it once per connection
 * and later batches only bind and run it (pg sends the Parse once; one that failed is sent
 * again). At most MAX_PREPARED texts are named on a connection, the rest go unnamed.
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import type pg from 'pg';
import type { DB } from './schema.js';

/** What a writer transaction may ask of its connection (nothing, off the pipelined pool). */
export interface TransactionLink {
  /**
   * The next statement is written without waiting for its answer: the statement after it
   * (or `commit`) reports its failure. For a statement whose result is not read.
   */
  writeAhead(): void;
  /**
   * `text` with `values` is sent on this connection once the transaction has committed (not
   * at all if it did not), in its own implicit transaction, and not awaited: the connection
   * goes back to the pool at once, the next transaction's statements queue behind it. Its
   * failure goes to `failed`. For what must follow a commit and needs no answer (NOTIFY).
   */
  afterCommit(text: string, values: unknown[], failed: (e: unknown) => void): void;
}

/** Statements a writer connection keeps prepared at most (the writer sends a few dozen kinds). */
const MAX_PREPARED = 64;

/** Attaches a handler now (the promise is awaited later, after other answers), and returns it. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

export class PipelinedConnection implements DatabaseConnection, TransactionLink {
  /** Statements written whose answers no one has awaited yet, in the order written. */
  private ahead: Promise<pg.QueryResult>[] = [];
  private aheadNext = false;
  /** What to send once the open transaction has committed (afterCommit). */
  private followers: { text: string; values: unknown[]; failed: (e: unknown) => void }[] = [];
  /** A Kysely whose every query runs on this connection. */
  readonly db: Kysely<DB>;

  /** The names of the statements prepared on this connection, by their text. */
  private readonly names = new Map<string, string>();

  /** A name for `text` on this connection, or none once MAX_PREPARED are prepared (it then goes unnamed). */
  private nameOf(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= MAX_PREPARED) return known;
    const name = `credits_w${this.names.size}`;
    this.names.set(text, name);
    return name;
  }

  constructor(
    readonly client: pg.PoolClient,
    private readonly prepared = true,
  ) {
    this.db = new Kysely<DB>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new OneConnectionDriver(this),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
  }

  writeAhead(): void {
    this.aheadNext = true;
  }

  afterCommit(text: string, values: unknown[], failed: (e: unknown) => void): void {
    this.followers.push({ text, values, failed });
  }

  /** Opens the transaction: `begin` goes out with the first statement (or `commit`). */
  begin(): void {
    this.aheadNext = false;
    this.followers = [];
    this.ahead = [quiet(this.client.query('begin'))];
  }

  /** Sends what was to follow the commit (afterCommit), unawaited (each settles the promise returned, failures going to their handler); once only. */
  sendFollowers(): Promise<unknown>[] {
    return this.followers.splice(0).map(({ text, values, failed }) => this.send(text, values).catch(failed));
  }

  /** `text` as a named prepared statement of this connection (when on and a name is left), else unnamed. */
  private send(text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    const name = this.prepared ? this.nameOf(text) : undefined;
    return name ? this.client.query({ name, text, values: [...values] }) : this.client.query(text, [...values]);
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const sent = quiet(this.send(compiled.sql, compiled.parameters));
    if (this.aheadNext) {
      this.aheadNext = false;
      this.ahead.push(sent);
      return { rows: [] };
    }
    const { command, rowCount, rows } = await this.answer(sent);
    // As Kysely's PostgresConnection reads a result.
    const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return { ...(counted ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}), rows: (rows ?? []) as R[] };
  }

  /** Commits: throws what a statement written ahead threw, or if the transaction was rolled back. */
  async commit(): Promise<void> {
    this.aheadNext = false;
    const { command } = await this.answer(quiet(this.client.query('commit')));
    if (command === 'ROLLBACK') throw new Error('The transaction was rolled back at its commit.');
  }

  /** Rolls back (a no-op, with a warning, when the transaction is already over); throws only if the connection fails. */
  async rollback(): Promise<void> {
    this.aheadNext = false;
    this.followers = [];
    const ahead = this.ahead.splice(0);
    await this.client.query('rollback');
    await Promise.allSettled(ahead);
  }

  // biome-ignore lint/correctness/useYield: a stream is refused before it starts
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The writer’s pipelined connection does not stream.');
  }

  /** Awaits the statements written ahead, then `last`; throws the first failure in the order written. */
  private async answer(last: Promise<pg.QueryResult>): Promise<pg.QueryResult> {
    if (this.ahead.length === 0) return last;
    const all = await Promise.allSettled([...this.ahead.splice(0), last]);
    for (const r of all) if (r.status === 'rejected') throw r.reason;
    return (all[all.length - 1] as PromiseFulfilledResult<pg.QueryResult>).value;
  }
}

/** Kysely's driver for one connection already checked out (transactions are the caller's). */
class OneConnectionDriver implements Driver {
  constructor(private readonly connection: PipelinedConnection) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {
    throw new Error('A writer transaction is already open on this connection.');
  }
  async commitTransaction(): Promise<void> {
    throw new Error('A writer transaction is already open on this connection.');
  }
  async rollbackTransaction(): Promise<void> {
    throw new Error('A writer transaction is already open on this connection.');
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/** The writer's own pool: connections with pg's `pipeline` on, each with its Kysely. */
export class PipelinedPool {
  private readonly connections = new WeakMap<pg.PoolClient, PipelinedConnection>();

  constructor(
    readonly pool: pg.Pool,
    private readonly opts: { prepared?: boolean } = {},
  ) {}

  /**
   * Runs `fn` in a transaction on one pipelined connection: `begin` is written with its
   * first statement, `commit` after its last; rolled back when `fn` or the commit throws.
   */
  async transaction<T>(fn: (trx: Kysely<DB>, link: TransactionLink) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let conn = this.connections.get(client);
    if (!conn) {
      conn = new PipelinedConnection(client, this.opts.prepared ?? true);
      this.connections.set(client, conn);
    }
    let broken = false;
    try {
      conn.begin();
      try {
        const out = await fn(conn.db, conn);
        await conn.commit();
        for (const p of conn.sendFollowers()) {
          this.following.add(p);
          void p.finally(() => this.following.delete(p));
        }
        return out;
      } catch (e) {
        // The error that matters is `e`; a failed rollback (a dead connection) adds nothing,
        // and the client is then dropped rather than given back.
        await conn.rollback().catch(() => {
          broken = true;
        });
        throw e;
      }
    } finally {
      client.release(broken);
    }
  }

  private ended: Promise<void> | undefined;
  /** Statements sent after commits and not answered yet (afterCommit). */
  private readonly following = new Set<Promise<unknown>>();

  /**
   * Ends the pool once the statements sent after commits are answered; again, the same promise
   * (pg-pool throws on a second end, Kysely's destroy does not).
   */
  end(): Promise<void> {
    this.ended ??= Promise.allSettled([...this.following]).then(() => this.pool.end());
    return this.ended;
  }
}
