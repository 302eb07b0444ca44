/**
 * A keyed cache of values read from the database on a hot path (low-balance thresholds
 * and auto-recharge settings per user, the active pricing rules, the signed-in user), so the common case
 * costs no query. Entries live `ttlMs`; the map is cleared when it reaches `max`
 * entries. Concurrent misses of one key share one load. `invalidate` is called when the
 * value changes (a user saves their settings, an admin changes a price); a load that was
 * in flight across any invalidation is answered to the callers that started it but not
 * kept, and callers arriving after the invalidation start a fresh load instead of joining
 * it, since it may predate the change (otherwise a just-enabled setting or a new price
 * could be ignored for a whole TTL).
 */
export class SettingsCache<V> {
  private readonly entries = new Map<string, { value: V; at: number; seq: number }>();
  private readonly loading = new Map<string, { epoch: number; value: Promise<V> }>();
  private epoch = 0;
  /** Loads in the order they started: a load never replaces what a later one kept. */
  private seq = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly max = 100_000,
  ) {}

  invalidate(key: string): void {
    this.epoch++;
    this.entries.delete(key);
  }

  /** Forgets every entry (and, like `invalidate`, every load in flight). */
  invalidateAll(): void {
    this.epoch++;
    this.entries.clear();
  }

  /** The entry of `key` if it is still fresh at `at`. */
  private freshEntry(key: string, at: number) {
    const hit = this.entries.get(key);
    return hit && at - hit.at < this.ttlMs ? hit : undefined;
  }

  /** The cached value of `key` while it is fresh, else undefined (no load started). */
  peek(key: string): V | undefined {
    return this.freshEntry(key, this.now())?.value;
  }

  /**
   * The value of `key`: the cached one, else the load in flight (started since the last
   * invalidation), else a new load. `fresh` skips both and loads anew (later callers
   * join that load).
   */
  get(key: string, load: () => Promise<V>, fresh = false): Promise<V> {
    const at = this.now();
    if (!fresh) {
      const hit = this.freshEntry(key, at);
      if (hit) return Promise.resolve(hit.value);
      const pending = this.loading.get(key);
      if (pending && pending.epoch === this.epoch) return pending.value;
    }
    const epoch = this.epoch;
    const seq = ++this.seq;
    const value = load().then((v) => {
      const kept = this.entries.get(key);
      if (epoch === this.epoch && !(kept && kept.seq > seq)) {
        if (this.entries.size >= this.max) this.entries.clear();
        this.entries.set(key, { value: v, at, seq });
      }
      return v;
    });
    const mine = { epoch, value };
    this.loading.set(key, mine);
    const done = () => {
      if (this.loading.get(key) === mine) this.loading.delete(key);
    };
    value.then(done, done);
    return value;
  }
}
