/**
 * JSON with sorted keys, undefined fields left out: the same value is the same text whatever
 * its key order. Idempotency fingerprints hash it (a request's params and body in
 * server/plugins/idempotency.ts, a usage event in core/usage/record-usage-batch.ts), so a
 * retry that sends the same fields in another order is the same request.
 */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}
