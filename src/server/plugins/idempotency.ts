/**
 * Idempotency-Key for every POST that moves credits or money.
 *
 * The key is scoped to its owner and stored with a fingerprint of the request in the
 * same transaction as the operation's effect (the ledger writes it), together with the
 * response to replay. A replay answers that response and moves nothing; the same key
 * with another request is 409; a duplicate arriving while the first runs on this
 * instance waits for it, and one racing on another instance is resolved by the key's
 * primary key inside the writer. A request refused before any effect (402, 400) stores
 * nothing, so its retry runs again.
 */
import { hash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { DomainError, idempotencyConflict } from '../../core/errors.js';
import type { Applied, IdempotencyInput } from '../../core/ledger/types.js';
import { stableStringify } from '../../core/stable-json.js';
import type { DB } from '../../db/schema.js';
import { HttpError, STATUS } from '../http-errors.js';

export interface StoredReply {
  status: number;
  body: unknown;
  /** True when this answers a request already applied. */
  replayed?: boolean;
  /** Stored while a flow that began with a ledger operation has not reached its final answer. */
  pending?: boolean;
}

export class Idempotency {
  private inflight = new Map<string, Promise<unknown>>();
  constructor(private readonly db: Kysely<DB>) {}

  /** The request's key, null when absent; 400 when malformed. */
  keyOf(req: FastifyRequest): string | null {
    const raw = req.headers['idempotency-key'];
    if (raw === undefined) return null;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw new HttpError('validation_error', 'Idempotency-Key must be 1 to 255 characters.', {
        fields: [{ path: 'Idempotency-Key', message: 'must be 1 to 255 characters' }],
      });
    }
    return key;
  }

  /** A digest of what the request asks: method, route, params and body. */
  fingerprint(req: FastifyRequest, body: unknown = req.body): string {
    // The one-shot hash: createHash's stream object cost 0.8 µs a request against 0.35 (6 December).
    return hash('sha256', `${req.method} ${req.routeOptions.url ?? req.url}\n${stableStringify(req.params)}\n${stableStringify(body)}`);
  }

  /**
   * Runs `fn` under the request's key. `fn` receives the idempotency input to hand to the
   * ledger (or null without a key) and returns the Applied outcome; `render` turns an
   * outcome into the response, which is what gets stored and replayed.
   */
  async run<E = unknown>(
    req: FastifyRequest,
    opts: {
      scope: string;
      required?: boolean;
      body?: unknown;
      key?: string | null;
      render: (applied: Applied<NoInfer<E>>) => StoredReply;
    },
    fn: (idem: IdempotencyInput | undefined) => Promise<Applied<E>>,
  ): Promise<StoredReply> {
    const key = opts.key !== undefined ? opts.key : this.keyOf(req);
    if (key === null) {
      if (opts.required) {
        throw new HttpError('validation_error', 'An idempotency key is required.', {
          fields: [{ path: 'idempotencyKey', message: 'required' }],
        });
      }
      return opts.render(await fn(undefined));
    }
    const fingerprint = this.fingerprint(req, opts.body ?? req.body);
    const id = `${opts.scope}:${key}`;
    return this.exclusive(id, async () => {
      const stored = await this.lookup(id, fingerprint);
      if (stored) return { ...stored, replayed: true };
      const applied = await this.orLateReplay(id, fingerprint, () => fn({ scope: opts.scope, key, fingerprint, reply: opts.render }));
      if ('status' in applied) return applied;
      const r = (applied.reply as StoredReply | undefined) ?? opts.render(applied);
      return applied.replayed ? { ...r, replayed: true } : r;
    });
  }

  /**
   * Runs `fn`; when it is refused (a 4xx), reads the key again. A duplicate on another
   * instance may have committed between this request's lookup and its own checks, which then
   * refuse it for what the first did (a hold already captured: 409 `conflict`); API.md says the
   * duplicate replays the first instead. Found (and final), the stored reply is answered as a
   * replay; otherwise the refusal stands. Only refusals pay for the read.
   */
  private async orLateReplay<T>(id: string, fingerprint: string, fn: () => Promise<T>): Promise<T | (StoredReply & { replayed: true })> {
    try {
      return await fn();
    } catch (err) {
      if (!isRefusal(err)) throw err;
      const stored = await this.lookup(id, fingerprint);
      if (!stored || stored.pending) throw err;
      return { ...stored, replayed: true };
    }
  }

  /** Runs `fn` after any earlier request with the same key on this instance has finished. */
  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.inflight.get(id);
    const mine = (before ?? Promise.resolve()).catch(() => {}).then(fn);
    this.inflight.set(id, mine);
    try {
      return await mine;
    } finally {
      if (this.inflight.get(id) === mine) this.inflight.delete(id);
    }
  }

  /**
   * For a flow that begins with one ledger operation and finishes outside it (a call
   * start: the hold, then VAPI). The ledger operation stores the key with a `pending`
   * reply at its commit; the flow's final answer (`final: true`) then replaces it, and is
   * what every later duplicate replays. A duplicate arriving while the flow runs on this
   * instance waits for it; one on another instance, or one after a flow that ended without
   * a final answer, runs the flow again, which must resume from what was committed.
   */
  async runFlow(
    req: FastifyRequest,
    scope: string,
    flow: (idem: IdempotencyInput | undefined) => Promise<StoredReply & { final: boolean }>,
  ): Promise<StoredReply> {
    const key = this.keyOf(req);
    if (key === null) return flow(undefined);
    const fingerprint = this.fingerprint(req);
    const id = `${scope}:${key}`;
    return this.exclusive(id, async () => {
      const stored = await this.lookup(id, fingerprint);
      if (stored && !stored.pending) return { ...stored, replayed: true };
      const done = await this.orLateReplay(id, fingerprint, () =>
        flow({ scope, key, fingerprint, reply: () => ({ status: 202, body: null, pending: true }) }),
      );
      if (!('final' in done)) return done;
      const { final, ...r } = done;
      if (final) await this.replacePending(id, r);
      return stored || r.replayed ? { ...r, replayed: true } : r;
    });
  }

  /** Puts a flow's final reply in place of its pending one (the first final reply stored wins). */
  private async replacePending(id: string, reply: StoredReply): Promise<void> {
    const row = await this.db.selectFrom('idempotency_keys').select('result').where('id', '=', id).executeTakeFirst();
    if (!row) return;
    const stored = JSON.parse(row.result) as { reply?: StoredReply };
    if (!stored.reply?.pending) return;
    const { replayed: _, ...final } = reply;
    await this.db
      .updateTable('idempotency_keys')
      .set({ result: JSON.stringify({ ...stored, reply: final }) })
      .where('id', '=', id)
      .where('result', '=', row.result)
      .execute();
  }

  /**
   * For operations whose effect is not one ledger operation (a refund through Stripe, a
   * PaymentIntent): the reply is stored after the effect. The effect itself must be
   * idempotent on its own (Stripe idempotency keys derived from our ids), so a retry after
   * a failure between the two repeats nothing. A use-case that can store the key in its
   * own transaction (a simulated refund) does, and answers `replayed` when it finds it.
   */
  async runOutside(req: FastifyRequest, scope: string, fn: (key: string | null) => Promise<StoredReply>): Promise<StoredReply> {
    const key = this.keyOf(req);
    if (key === null) return fn(null);
    const id = `${scope}:${key}`;
    const fingerprint = this.fingerprint(req);
    return this.exclusive(id, async () => {
      const stored = await this.lookup(id, fingerprint);
      if (stored) return { ...stored, replayed: true };
      const r = await this.orLateReplay(id, fingerprint, () => fn(key));
      // A replay found by `fn` itself (a use-case that stores the key in its own transaction) is already stored.
      if (!r.replayed) await this.store(id, fingerprint, r);
      return r;
    });
  }

  /** Stores a reply for a key outside the ledger (the first one stored wins). */
  async store(id: string, fingerprint: string, reply: StoredReply): Promise<void> {
    await this.db
      .insertInto('idempotency_keys')
      .values({ id, fingerprint, result: JSON.stringify({ reply }), created_at: Date.now() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** The stored reply of a key, null when the key is new; 409 when its fingerprint differs. */
  async lookup(id: string, fingerprint: string): Promise<StoredReply | null> {
    const row = await this.db.selectFrom('idempotency_keys').select(['fingerprint', 'result']).where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    if (row.fingerprint !== fingerprint) throw idempotencyConflict();
    const applied = JSON.parse(row.result) as Applied & { reply?: StoredReply };
    return applied.reply ?? { status: 200, body: null };
  }
}

/**
 * A refusal of the request itself (a 4xx: 400, 402, 404, 409...), not a failure of the service:
 * a 5xx (`overloaded` while shedding or stopping, `bad_gateway`, `payments_unavailable`) is
 * answered as it is, with no second read of the key (which, failing too, would replace it).
 */
function isRefusal(err: unknown): boolean {
  if (!(err instanceof DomainError) && !(err instanceof HttpError)) return false;
  return err.code !== 'idempotency_conflict' && STATUS[err.code] < 500;
}

/** Sends a stored (or fresh) reply; replays carry `Idempotent-Replayed: true`. */
export function sendReply(
  reply: { status(code: number): unknown; header(k: string, v: string): unknown },
  r: StoredReply & { replayed?: boolean },
) {
  const raw = reply as unknown as import('fastify').FastifyReply;
  if (r.replayed) raw.header('idempotent-replayed', 'true');
  return raw.status(r.status).send(r.body);
}
