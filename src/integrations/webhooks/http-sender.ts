/**
 * Sends webhook attempts over HTTP(S) with node:http: no redirect is followed (a 3xx is
 * an answer, not a success), the answer's body is ignored, and each
 * attempt has its own timeout. Under the production policy the URL must be https and
 * (unless allowPrivate) every address the host resolves to is checked at connection
 * time, the address actually used: a name that resolves to a private or loopback
 * address is refused, whatever it resolved to when the endpoint was saved.
 */
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { type LookupFunction, isIP } from 'node:net';
import { type EndpointPolicy, isPrivateAddress } from '../../core/events/endpoint-policy.js';
import type { WebhookSender } from '../../core/events/deliver-webhooks.js';

/** Every address of a host (the endpoint check at save time). */
export function resolveHost(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address))));
  });
}

const checkedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as { address: string; family: number }[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad || list.length === 0) {
      return callback(
        Object.assign(new Error(`refused: ${hostname} resolves to a private or loopback address (${bad?.address ?? 'none'})`), {
          code: 'EPRIVATE',
        }),
        '',
        0,
      );
    }
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
    const first = list[0] as { address: string; family: number };
    callback(null, first.address, first.family);
  });
};

export function httpWebhookSender(policy: EndpointPolicy): WebhookSender {
  return {
    send({ url, headers, body, timeoutMs }) {
      return new Promise((resolve, reject) => {
        const u = new URL(url);
        if (policy.production && u.protocol !== 'https:') return reject(new Error('refused: production endpoints must be https'));
        const host = u.hostname.replace(/^\[|\]$/g, '');
        if (policy.production && !policy.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
          return reject(new Error(`refused: ${host} is a private or loopback address`));
        }
        const mod = u.protocol === 'https:' ? https : http;
        const req = mod.request(
          u,
          {
            method: 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            agent: false,
            ...(policy.production && !policy.allowPrivate ? { lookup: checkedLookup } : {}),
          },
          (res) => {
            // The answer's status is all that counts; its body is drained and ignored (the
            // timeout still cuts a body that never ends).
            resolve({ status: res.statusCode ?? 0 });
            res.resume();
            res.on('error', () => {});
          },
        );
        const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        req.on('error', (e) => reject(e));
        req.on('close', () => clearTimeout(timer));
        req.end(body);
      });
    },
  };
}
