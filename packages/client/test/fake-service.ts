/**
 * A small stand-in of the service API for the client's unit tests: the routes the client
 * calls, answering in the contract's shapes, refusing a quantity the service refuses (400),
 * recording every request, and failing on demand (a status with Retry-After, a dropped
 * connection, a slow answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

type Failure = { kind: 'status'; status: number; retryAfter?: string; body?: unknown } | { kind: 'drop' } | { kind: 'slow'; ms: number };

export interface FakeService {
  url: string;
  requests: Recorded[];
  /** The next requests fail this way, one failure per request, in order. */
  failNext(...f: Failure[]): void;
  /** Customers' available credits (what holds and usage may take). */
  available: Map<string, number>;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req-${Math.random().toString(36).slice(2, 8)}` });
  res.end(JSON.stringify(body));
};
const error = (res: ServerResponse, status: number, code: string, message: string, details?: unknown) =>
  json(res, status, { error: { code, message, ...(details ? { details } : {}) } });

export async function startFakeService(apiKey: string): Promise<FakeService> {
  const failures: Failure[] = [];
  const requests: Recorded[] = [];
  const available = new Map<string, number>();
  const holds = new Map<string, { customer: string; credits: number; status: string; expiresAt: string }>();
  /** Idempotency: key -> [status, body] of the first answer. */
  const replays = new Map<string, [number, unknown]>();
  let ids = 0;
  // 0.1 credits per unit, in whole millicredits rounded up, as the service prices.
  const price = (quantity: number) => Math.ceil(Math.round(quantity * 1000) / 10) / 1000;
  /** As the service: a quantity is a non-negative number with at most 3 decimals, else 400. */
  const badQuantity = (q: unknown) => typeof q !== 'number' || !(q >= 0) || !/^\d+(\.\d{1,3})?$/.test(String(q));

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const f = failures.shift();
      if (f?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (f?.kind === 'status') {
        if (f.retryAfter !== undefined) res.setHeader('retry-after', f.retryAfter);
        json(res, f.status, f.body ?? { error: { code: f.status === 429 ? 'rate_limited' : 'overloaded', message: 'try again' } });
        return;
      }
      const go = () => route(req, res, body);
      if (f?.kind === 'slow') setTimeout(go, f.ms);
      else go();
    });
  });

  function route(req: IncomingMessage, res: ServerResponse, body: any) {
    if (req.headers.authorization !== `Bearer ${apiKey}`) return error(res, 401, 'unauthorized', 'Bad API key.');
    const url = req.url ?? '';
    const key = req.headers['idempotency-key'] as string | undefined;
    const replay = key ? replays.get(`${url}:${key}`) : undefined;
    if (replay) return json(res, replay[0], replay[1]);
    const remember = (status: number, b: unknown) => {
      if (key) replays.set(`${url}:${key}`, [status, b]);
      json(res, status, b);
    };
    if (body?.quantity !== undefined && badQuantity(body.quantity))
      return error(res, 400, 'validation_error', 'quantity: must be a non-negative number with at most 3 decimals');
    let m: RegExpExecArray | null;
    if (req.method === 'PUT' && (m = /^\/api\/v1\/customers\/([^/]+)$/.exec(url))) {
      const externalId = decodeURIComponent(m[1] as string);
      const created = !available.has(externalId);
      if (created) available.set(externalId, 0);
      return json(res, created ? 201 : 200, {
        customer: { accountId: `acc-${externalId}`, externalId, kind: body?.kind ?? 'personal', name: body?.name ?? externalId },
      });
    }
    if (req.method === 'GET' && (m = /^\/api\/v1\/customers\/([^/]+)\/balance$/.exec(url))) {
      const id = decodeURIComponent(m[1] as string);
      const a = available.get(id);
      if (a === undefined) return error(res, 404, 'not_found', 'Customer not found.');
      return json(res, 200, {
        balance: a,
        reserved: 0,
        available: a,
        lifetimePurchased: a,
        lifetimeUsed: 0,
        unlimited: false,
        expiringSoon: { credits: 0, at: null },
      });
    }
    if (req.method === 'POST' && url === '/api/v1/usage') {
      if (!key) return error(res, 400, 'validation_error', 'Idempotency-Key is required.');
      const a = available.get(body.customer);
      if (a === undefined) return error(res, 404, 'not_found', 'Customer not found.');
      const cost = price(body.quantity);
      if (cost > a)
        return error(res, 402, 'insufficient_credits', 'Not enough credits for this operation.', { required: cost, available: a });
      available.set(body.customer, Math.round((a - cost) * 1000) / 1000);
      return remember(201, { usage: { id: `usage-${++ids}` }, credits: { charged: cost, balance: available.get(body.customer) } });
    }
    if (req.method === 'POST' && url === '/api/v1/usage/batch') {
      const seen = new Set<string>();
      const results = (body.events as any[]).map((e) => {
        if (seen.has(e.id)) return { id: e.id, status: 'duplicate' };
        seen.add(e.id);
        const a = available.get(e.customer);
        if (a === undefined || badQuantity(e.quantity))
          return { id: e.id, status: 'invalid', error: { code: 'validation_error', message: 'bad event' } };
        const cost = price(e.quantity);
        if (cost > a) return { id: e.id, status: 'insufficient_credits' };
        available.set(e.customer, Math.round((a - cost) * 1000) / 1000);
        return { id: e.id, status: 'charged', charged: cost };
      });
      return remember(200, { results });
    }
    if (req.method === 'POST' && url === '/api/v1/holds') {
      const a = available.get(body.customer);
      if (a === undefined) return error(res, 404, 'not_found', 'Customer not found.');
      const cost = price(body.quantity);
      if (cost > a)
        return error(res, 402, 'insufficient_credits', 'Not enough credits for this operation.', { required: cost, available: a });
      available.set(body.customer, Math.round((a - cost) * 1000) / 1000);
      const id = `hold-${++ids}`;
      const expiresAt = new Date(Date.now() + (body.ttlSeconds ?? 900) * 1000).toISOString();
      holds.set(id, { customer: body.customer, credits: cost, status: 'held', expiresAt });
      return remember(201, {
        hold: { id, status: 'held', credits: cost, expiresAt },
        credits: { reserved: cost, available: available.get(body.customer) },
      });
    }
    if (req.method === 'POST' && (m = /^\/api\/v1\/holds\/([^/]+)\/(capture|release|extend)$/.exec(url))) {
      const h = holds.get(decodeURIComponent(m[1] as string));
      if (!h) return error(res, 404, 'not_found', 'Hold not found.');
      if (h.status !== 'held') return error(res, 409, 'conflict', `The hold is ${h.status}.`);
      const a = available.get(h.customer) as number;
      if (m[2] === 'capture') {
        const charged = Math.min(h.credits, price(body.quantity));
        h.status = 'captured';
        available.set(h.customer, Math.round((a + h.credits - charged) * 1000) / 1000);
        return remember(200, {
          hold: { id: m[1], status: 'captured', credits: charged, heldCredits: h.credits },
          credits: { charged, balance: available.get(h.customer) },
        });
      }
      if (m[2] === 'release') {
        h.status = 'released';
        available.set(h.customer, Math.round((a + h.credits) * 1000) / 1000);
        return remember(200, { hold: { id: m[1], status: 'released' } });
      }
      h.expiresAt = new Date(Date.now() + body.ttlSeconds * 1000).toISOString();
      return remember(200, { hold: { id: m[1], status: h.status, expiresAt: h.expiresAt } });
    }
    return error(res, 404, 'not_found', `No route ${req.method} ${url}.`);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    available,
    failNext: (...f) => failures.push(...f),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
