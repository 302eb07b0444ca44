import { isIP } from 'node:net';

/** Names proxy-addr (Fastify's trustProxy) knows for ranges of addresses. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: off (unset, `false`, `0`), a hop count (`1`: one reverse proxy in front), or
 * comma-separated addresses and CIDRs of the proxies (`10.0.0.0/8, 127.0.0.1`). `true`
 * is refused: it would believe an X-Forwarded-For that any client can write.
 */
export function parseTrustProxy(v: string | undefined): { value: false | number | string[]; problem?: string } {
  if (v === undefined || v === 'false' || v === '0') return { value: false };
  if (/^\d+$/.test(v)) return { value: Number(v) };
  if (v === 'true') {
    return {
      value: false,
      problem: 'TRUST_PROXY=true would believe any client; give the number of proxies in front (1) or their addresses',
    };
  }
  const items = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = items.filter((x) => {
    if (PROXY_RANGE_NAMES.has(x)) return false;
    const [ip, prefix, extra] = x.split('/');
    const family = isIP(ip ?? '');
    if (!family || extra !== undefined) return true;
    if (prefix === undefined) return false;
    return !/^\d+$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128);
  });
  if (bad.length > 0 || items.length === 0) {
    return {
      value: false,
      problem: `TRUST_PROXY must be a hop count or comma-separated IP addresses and CIDRs (not: ${bad.join(', ') || v})`,
    };
  }
  return { value: items };
}
