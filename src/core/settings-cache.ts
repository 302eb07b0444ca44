/**
 * A per-user cache of settings read on the after-commit path (low-balance thresholds,
 * auto-recharge), so the common case costs no query. Entries live `ttlMs`; the map is
 * cleared when it reaches `max` entries. `invalidate` is called when a user saves their
 * settings; a read that was in flight across any invalidation is returned but not kept,
 * since it may predate the save (otherwise a just-enabled setting could be ignored for a
 * whole TTL).
 */
export class SettingsCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  private epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly max = 100_000,
  ) {}

  invalidate(userId: string): void {
    this.epoch++;
    this.entries.delete(userId);
  }

  async get(userId: string, load: () => Promise<V>): Promise<V> {
    const at = this.now();
    const hit = this.entries.get(userId);
    if (hit && at - hit.at < this.ttlMs) return hit.value;
    const epoch = this.epoch;
    const value = await load();
    if (epoch === this.epoch) {
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(userId, { value, at });
    }
    return value;
  }
}
