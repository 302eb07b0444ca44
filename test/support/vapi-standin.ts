/**
 * A local stand-in for VAPI's API: POST /call (places a call, named as asked), GET
 * /call/:id, GET /call (list, by createdAtGe/createdAtLe), and each call's control URL
 * (`{"type":"end-call"}` hangs it up). Switchable failures: 500s, 400s, answers that never
 * come (with or without the call being placed), VAPI down altogether. When `webhook` is
 * set, a hang-up is followed by VAPI's end-of-call report to it, as VAPI does.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInCall {
  id: string;
  name: string | null;
  body: Record<string, unknown>;
  status: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
}

export interface VapiStandIn {
  url: string;
  calls: Map<string, StandInCall>;
  requests: { method: string; path: string; auth: string | undefined; body: unknown }[];
  /** The next N requests are answered 500, doing nothing. */
  failNext: number;
  /** The next N requests are answered 400, doing nothing. */
  refuseNext: number;
  /** The next N requests are carried out (a call placed) but never answered. */
  stallNext: number;
  /** The next N requests are neither carried out nor answered. */
  dropNext: number;
  /** Every request answered 503 (VAPI unreachable) while true. */
  down: boolean;
  /** Every answer is sent this long after the request was carried out. */
  delayMs: number;
  /** What a hang-up does: end the call now, or nothing (VAPI ignoring it). */
  onHangUp: 'end' | 'ignore';
  /** Where end-of-call reports go after a hang-up (the service's webhook), if anywhere. */
  webhook: { url: string; secret: string } | null;
  /** Reports sent to the webhook, with the status each got. */
  reports: { callId: string; status: number }[];
  /** Resolves once every report sent so far has been answered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startVapiStandIn(): Promise<VapiStandIn> {
  let n = 0;
  const inflight = new Set<Promise<void>>();
  const state: VapiStandIn = {
    url: '',
    calls: new Map(),
    requests: [],
    failNext: 0,
    refuseNext: 0,
    stallNext: 0,
    dropNext: 0,
    down: false,
    delayMs: 0,
    onHangUp: 'end',
    webhook: null,
    reports: [],
    settled: async () => {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    close: async () => {},
  };
  const view = (c: StandInCall) => ({
    id: c.id,
    name: c.name,
    status: c.status,
    createdAt: c.createdAt,
    startedAt: c.startedAt ?? null,
    endedAt: c.endedAt ?? null,
    monitor: { controlUrl: `${state.url}/call/${encodeURIComponent(c.id)}/control` },
  });
  const report = (c: StandInCall) => {
    const hook = state.webhook;
    if (!hook) return;
    const p = fetch(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vapi-secret': hook.secret },
      body: JSON.stringify({
        message: {
          type: 'end-of-call-report',
          call: view(c),
          startedAt: c.startedAt,
          endedAt: c.endedAt,
          endedReason: 'customer-ended-call',
        },
      }),
    })
      .then((r) => {
        state.reports.push({ callId: c.id, status: r.status });
      })
      .catch(() => {
        state.reports.push({ callId: c.id, status: 0 });
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      const url = new URL(req.url ?? '/', 'http://stand-in');
      state.requests.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      const answer = (status: number, json: unknown) => {
        const out = () => {
          res.statusCode = status;
          res.end(JSON.stringify(json));
        };
        if (state.delayMs > 0) setTimeout(out, state.delayMs);
        else out();
      };
      if (state.down) return answer(503, { message: 'unavailable' });
      if (state.dropNext > 0) {
        state.dropNext--;
        return; // Never answered, nothing done.
      }
      if (state.failNext > 0) {
        state.failNext--;
        return answer(500, { message: 'boom' });
      }
      if (state.refuseNext > 0) {
        state.refuseNext--;
        return answer(400, { message: 'customer.number is not valid' });
      }
      let stall = false;
      if (state.stallNext > 0) {
        state.stallNext--;
        stall = true;
      }
      const send = stall ? () => {} : answer;
      if (req.method === 'POST' && url.pathname === '/call') {
        const id = `vapi-call-${++n}`;
        const c: StandInCall = {
          id,
          name: typeof body?.name === 'string' ? body.name : null,
          body,
          status: 'queued',
          createdAt: new Date().toISOString(),
        };
        state.calls.set(id, c);
        return send(201, view(c));
      }
      if (req.method === 'GET' && url.pathname === '/call') {
        const ge = Date.parse(url.searchParams.get('createdAtGe') ?? '1970-01-01T00:00:00Z');
        const le = Date.parse(url.searchParams.get('createdAtLe') ?? '2999-01-01T00:00:00Z');
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const list = [...state.calls.values()]
          .filter((c) => Date.parse(c.createdAt) >= ge && Date.parse(c.createdAt) <= le)
          .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
          .slice(0, limit)
          .map(view);
        return send(200, list);
      }
      const one = /^\/call\/([^/]+)(\/control)?$/.exec(url.pathname);
      const c = one ? state.calls.get(decodeURIComponent(one[1] as string)) : undefined;
      if (one && !c) return send(404, { message: 'Not Found' });
      if (c && req.method === 'GET' && !one?.[2]) return send(200, view(c));
      if (c && req.method === 'POST' && one?.[2]) {
        if (body?.type === 'end-call' && state.onHangUp === 'end' && c.status !== 'ended') {
          c.startedAt ??= c.createdAt;
          c.endedAt = new Date().toISOString();
          c.status = 'ended';
          report(c);
        }
        return send(200, { ok: true });
      }
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    await state.settled();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return state;
}
