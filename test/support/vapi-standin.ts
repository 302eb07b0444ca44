/** A local stand-in for VAPI's API: POST /call and GET /call/:id, with switchable failures. */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VapiStandIn {
  url: string;
  calls: Map<string, { body: Record<string, unknown>; startedAt?: string; endedAt?: string; status: string }>;
  requests: { method: string; path: string; auth: string | undefined; body: unknown }[];
  failNext: number;
  /** Milliseconds to wait before answering POST /call (a slow VAPI). */
  delayMs: number;
  close(): Promise<void>;
}

export async function startVapiStandIn(): Promise<VapiStandIn> {
  let n = 0;
  const state: VapiStandIn = { url: '', calls: new Map(), requests: [], failNext: 0, delayMs: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      state.requests.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      if (state.failNext > 0) {
        state.failNext--;
        res.statusCode = 500;
        res.end(JSON.stringify({ message: 'boom' }));
        return;
      }
      if (req.method === 'POST' && req.url === '/call') {
        const id = `vapi-call-${++n}`;
        state.calls.set(id, { body, status: 'queued' });
        setTimeout(() => {
          res.statusCode = 201;
          res.end(JSON.stringify({ id, status: 'queued' }));
        }, state.delayMs);
        return;
      }
      const m = /^\/call\/([^/]+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && m) {
        const c = state.calls.get(decodeURIComponent(m[1] as string));
        if (!c) {
          res.statusCode = 404;
          res.end('{}');
          return;
        }
        res.end(JSON.stringify({ id: m[1], status: c.status, startedAt: c.startedAt ?? null, endedAt: c.endedAt ?? null }));
        return;
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
