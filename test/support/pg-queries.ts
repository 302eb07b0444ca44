/** Records what node-postgres sends, to count round trips (src/db/pg-pipeline.test.ts, src/core/ledger/writer-pg-pipeline.test.ts). */
import pg from 'pg';

/** Each query node-postgres is asked for, in order: its first words and whether an earlier one on its connection was still unanswered. */
export type Sent = { text: string; withEarlier: boolean };

/** Records the queries of every pg client until the returned function is called. */
export function recordQueries(): { sent: Sent[]; stop: () => void } {
  const sent: Sent[] = [];
  const unanswered = new WeakMap<object, number>();
  const original = pg.Client.prototype.query;
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloaded signature
  pg.Client.prototype.query = function (this: pg.Client, config: any, values?: any, callback?: any) {
    const text = String(typeof config === 'string' ? config : config?.text)
      .trim()
      .replace(/\s+/g, ' ')
      .slice(0, 40)
      .toLowerCase();
    const n = unanswered.get(this) ?? 0;
    sent.push({ text, withEarlier: n > 0 });
    unanswered.set(this, n + 1);
    const answered = () => unanswered.set(this, (unanswered.get(this) ?? 1) - 1);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const out = (original as any).call(this, config, values, callback);
    if (out && typeof out.then === 'function') out.then(answered, answered);
    return out;
  } as typeof original;
  return { sent, stop: () => (pg.Client.prototype.query = original) };
}
