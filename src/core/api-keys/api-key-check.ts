import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { hashApiKey } from './create-api-key.js';

/** Who a valid key is: its id (`service` for SERVICE_API_KEY) and name. */
export interface ApiKeyIdentity {
  id: string;
  name: string;
}

interface Entry {
  identity: ApiKeyIdentity | null;
  at: number;
}

/** The bootstrap key's identity: scopes its idempotency keys like any other key's. */
export const BOOTSTRAP_KEY: ApiKeyIdentity = { id: 'service', name: 'SERVICE_API_KEY' };

/**
 * Checks service API keys against the database by their SHA-256. A result is cached for
 * `ttlMs` (at most one second), so a key revoked on another instance is refused within
 * that; a revocation on this instance clears the cache at once, and so does one announced
 * by another instance on PostgreSQL (server/context.ts). `last_used_at` is written
 * at most once a minute per key (from this instance), without holding up the request.
 */
export class ApiKeyCheck {
  private cache = new Map<string, Entry>();
  private lastWritten = new Map<string, number>();
  /** Bumped by every local revocation, so a lookup in flight across it is not cached. */
  private epoch = 0;
  constructor(
    private readonly db: Kysely<DB>,
    private readonly opts: {
      bootstrapKey?: string | undefined;
      ttlMs?: number;
      touchEveryMs?: number;
      now?: () => number;
      onError?: (e: unknown) => void;
    } = {},
  ) {}

  /** Forgets every cached result (a key was revoked here). */
  invalidate(): void {
    this.epoch++;
    this.cache.clear();
  }

  /** The key's identity, or null when it is unknown or revoked. */
  async check(key: string): Promise<ApiKeyIdentity | null> {
    const boot = this.opts.bootstrapKey;
    if (boot && equal(key, boot)) return BOOTSTRAP_KEY;
    const now = (this.opts.now ?? Date.now)();
    const hash = hashApiKey(key);
    const hit = this.cache.get(hash);
    const ttl = Math.min(this.opts.ttlMs ?? 1000, 1000);
    let identity: ApiKeyIdentity | null;
    if (hit && now - hit.at < ttl) identity = hit.identity;
    else {
      const epoch = this.epoch;
      const row = await this.db.selectFrom('api_keys').select(['id', 'name', 'revoked_at']).where('hash', '=', hash).executeTakeFirst();
      identity = row && row.revoked_at === null ? { id: row.id, name: row.name } : null;
      if (epoch === this.epoch) {
        if (this.cache.size > 10_000) this.cache.clear();
        this.cache.set(hash, { identity, at: now });
      }
    }
    if (identity) this.touch(identity.id, now);
    return identity;
  }

  private touch(id: string, now: number) {
    const last = this.lastWritten.get(id);
    if (last !== undefined && now - last < (this.opts.touchEveryMs ?? 60_000)) return;
    this.lastWritten.set(id, now);
    this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .execute()
      .catch((e: unknown) => {
        // The next use tries again; a lost "last used" is not worth failing a request for.
        this.lastWritten.delete(id);
        this.opts.onError?.(e);
      });
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
