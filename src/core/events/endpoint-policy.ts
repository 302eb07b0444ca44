/**
 * Where outgoing webhooks may go. Outside production any http(s) URL; in production only
 * https, and (unless `allowPrivate`) only hosts whose every address is public: no
 * loopback, private, link-local, carrier-grade NAT, multicast or reserved address, so an
 * endpoint cannot reach into the operator's network. The check runs when an endpoint is
 * saved and again on every connection (the address the request is sent to).
 */
import { isIP } from 'node:net';
import { invalid } from '../errors.js';

export interface EndpointPolicy {
  /** Production rules: https only; private addresses refused unless allowPrivate. */
  production: boolean;
  allowPrivate: boolean;
}

/** Resolves a host name to every address it has. */
export type Resolve = (host: string) => Promise<string[]>;

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

function v4Blocked(ip: string): boolean {
  const n = v4ToInt(ip);
  return V4_BLOCKED.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base);
    return n >= start && n < start + size;
  });
}

/** The 8 groups of an IPv6 address as numbers (handles `::` and a trailing dotted IPv4). */
function v6Groups(ip: string): number[] {
  let s = ip.toLowerCase().split('%')[0] as string;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const n = v4ToInt(dotted[1] as string);
    s = `${s.slice(0, -(dotted[1] as string).length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  return [...h, ...Array(fill).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
}

/** Whether an IP address (v4 or v6) is loopback, private, link-local or otherwise not public. */
export function isPrivateAddress(ip: string): boolean {
  const kind = isIP(ip.split('%')[0] as string);
  if (kind === 4) return v4Blocked(ip);
  if (kind !== 6) return true;
  const g = v6Groups(ip);
  const [a = 0, b = 0] = g;
  if (g.every((x) => x === 0)) return true; // ::
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true; // ::1
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96): judge the IPv4 address inside.
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  const nat64 = a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (mapped || nat64) {
    const hi = g[6] ?? 0;
    const lo = g[7] ?? 0;
    return v4Blocked(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  return false;
}

/** Refuses (validation_error) a URL the policy does not allow; resolves the host to check its addresses. */
export async function checkEndpointUrl(url: string, policy: EndpointPolicy, resolve: Resolve): Promise<void> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw refused('must be an http or https URL');
  if (!policy.production) return;
  if (u.protocol !== 'https:') throw refused('must be https in production');
  if (policy.allowPrivate) return;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw refused('must name a host that resolves');
    }
  }
  if (addresses.length === 0) throw refused('must name a host that resolves');
  if (addresses.some(isPrivateAddress)) {
    throw refused('must not resolve to a private or loopback address in production (WEBHOOKS_ALLOW_PRIVATE=true allows it)');
  }
}

function refused(message: string) {
  return invalid(`The endpoint URL ${message}.`, { fields: [{ path: 'body.url', message }] });
}
