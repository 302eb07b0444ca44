/**
 * A local webhook receiver: records every request (headers, raw body, when), answers as a
 * test's `behave` says — given the request and how many times its path got its id — with a
 * status (after an optional delay) or never (`hang`), and counts requests in flight per
 * `webhook-id` (several at once would be a duplicate send).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
  id: string;
}

export type Behaviour = { status: number; delayMs?: number } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Most requests in flight at once for one webhook-id. */
  maxInFlightPerId: number;
  behave: (r: Received, nth: number) => Behaviour;
  close(): Promise<void>;
}

export async function startReceiver(behave: Receiver['behave'] = () => ({ status: 200 })): Promise<Receiver> {
  const inFlight = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const r: Receiver = { url: '', received: [], maxInFlightPerId: 0, behave, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      const rec: Received = { path: req.url ?? '', headers: req.headers, body, at: Date.now(), id };
      r.received.push(rec);
      const n = (inFlight.get(id) ?? 0) + 1;
      inFlight.set(id, n);
      r.maxInFlightPerId = Math.max(r.maxInFlightPerId, n);
      const done = () => inFlight.set(id, (inFlight.get(id) ?? 1) - 1);
      res.on('close', done);
      const b = r.behave(rec, r.received.filter((x) => x.id === id && x.path === rec.path).length);
      if (b === 'hang') {
        hanging.add(res);
        return;
      }
      const answer = () => {
        res.statusCode = b.status;
        res.end(b.status < 300 ? 'ok' : 'no');
      };
      if (b.delayMs) setTimeout(answer, b.delayMs);
      else answer();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.close = () =>
    new Promise<void>((ok) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => ok());
    });
  return r;
}

/**
 * Verifies a delivery as docs/events.md tells a receiver to, written here from the
 * Standard Webhooks specification rather than imported: HMAC-SHA256 keyed with the
 * base64-decoded secret after `whsec_`, over `id.timestamp.body`, base64, compared with
 * each `v1,` signature of the header.
 */
export function verifyStandardWebhook(
  secret: string,
  r: Pick<Received, 'headers' | 'body'>,
): { type: string; timestamp: string; data: Record<string, unknown> } {
  const id = String(r.headers['webhook-id']);
  const ts = String(r.headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest();
  const ok = String(r.headers['webhook-signature'])
    .split(' ')
    .some((s) => {
      const [v, sig] = s.split(',');
      const got = Buffer.from(sig ?? '', 'base64');
      return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
    });
  if (!ok) throw new Error('bad signature');
  return JSON.parse(r.body);
}
