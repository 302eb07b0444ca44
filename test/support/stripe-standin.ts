/**
 * A local stand-in for the parts of Stripe's API the service calls (customers, payment
 * intents, charges, refunds), speaking the wire format the official SDK uses
 * (form-encoded requests, JSON answers, Idempotency-Key), plus helpers that move objects
 * the way Stripe would (a payment succeeding, a refund) and sign webhook events exactly
 * as Stripe does, with the SDK's own test-header helper.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

type Obj = Record<string, unknown>;

function parseForm(body: string): Obj {
  const out: Obj = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const m = /^([^[]+)\[([^\]]+)\]$/.exec(k);
    if (m) {
      const parent = (out[m[1] as string] ??= {}) as Obj;
      parent[m[2] as string] = v;
    } else out[k] = v;
  }
  return out;
}

/**
 * A failure the stand-in plays for the next `times` requests matching `method` and `path`:
 * `reset` drops the connection without an answer, `500` answers an API error. With `after`,
 * the request takes effect first (the intent is created, the card charged) and only the
 * answer is lost, as when Stripe did the work but the network or its edge failed.
 */
export interface StandInFault {
  method: string;
  path: RegExp;
  mode: 'reset' | '500';
  after: boolean;
  times: number;
}

export interface StripeStandIn {
  url: string;
  webhookSecret: string;
  intents: Map<string, Obj>;
  charges: Map<string, Obj>;
  requests: { method: string; path: string; idempotencyKey: string | undefined }[];
  /** Off-session charges to decline before accepting again. */
  declineNext: number;
  /** Failures to play (see StandInFault); each is used up by the requests it matches. */
  faults: StandInFault[];
  /** The intent succeeds: a charge is made. Returns the intent. */
  succeed(intentId: string): Obj;
  fail(intentId: string, message: string): Obj;
  /** Refunds `amount` more on the intent's charge; returns the charge. */
  refund(intentId: string, amount: number): Obj;
  /** A signed webhook delivery: [body, signature header]. */
  event(
    type: string,
    object: Obj,
    opts?: { id?: string; timestamp?: number; secret?: string },
  ): { body: string; signature: string; id: string };
  /** A fresh signature for a payload (Stripe signs every delivery attempt anew, with the time of the attempt). */
  sign(body: string): string;
  close(): Promise<void>;
}

/** One page of a list, newest first, as Stripe pages them (`limit`, `starting_after`). */
function page(all: Obj[], q: URLSearchParams): Obj {
  const limit = Math.min(100, Number(q.get('limit') ?? 10));
  const after = q.get('starting_after');
  const from = after ? all.findIndex((o) => o.id === after) + 1 : 0;
  const data = all.slice(from, from + limit);
  return { object: 'list', data, has_more: from + limit < all.length, url: '' };
}

export async function startStripeStandIn(): Promise<StripeStandIn> {
  let n = 0;
  const id = (p: string) => `${p}_${++n}${Math.random().toString(36).slice(2, 8)}`;
  const customers = new Map<string, Obj>();
  const intents = new Map<string, Obj>();
  const charges = new Map<string, Obj>();
  const refunds: Obj[] = [];
  const newRefund = (pi: Obj, ch: Obj, amount: number): Obj => {
    const r = {
      id: id('re'),
      object: 'refund',
      created: Math.floor(Date.now() / 1000),
      amount,
      charge: ch.id,
      payment_intent: pi.id,
      status: 'succeeded',
    };
    refunds.push(r);
    return r;
  };
  const byKey = new Map<string, string>();
  const requests: StripeStandIn['requests'] = [];
  const stripe = new Stripe('sk_test_standin');
  const webhookSecret = 'whsec_standin_secret';

  const newCharge = (pi: Obj): Obj => {
    const chId = id('ch');
    return {
      id: chId,
      object: 'charge',
      created: Math.floor(Date.now() / 1000),
      amount: pi.amount,
      amount_refunded: 0,
      refunded: false,
      currency: pi.currency,
      payment_intent: pi.id,
      status: 'succeeded',
      receipt_url: `https://pay.stripe.com/receipts/standin/${chId}`,
    };
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const key = req.headers['idempotency-key'] as string | undefined;
      const path = (req.url ?? '').split('?')[0] as string;
      requests.push({ method: req.method ?? '', path, idempotencyKey: key });
      const fault = state.faults.find((f) => f.times > 0 && f.method === req.method && f.path.test(path));
      if (fault) fault.times--;
      const fail = () => {
        if (fault?.mode === 'reset') {
          req.socket.destroy();
          return;
        }
        res.writeHead(500, { 'content-type': 'application/json', 'request-id': id('req') });
        res.end(JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred (stand-in fault).' } }));
      };
      if (fault && !fault.after) return fail();
      const send = (status: number, o: unknown) => {
        if (fault) return fail();
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
        res.end(JSON.stringify(o));
      };
      const notFound = () => send(404, { error: { type: 'invalid_request_error', message: `No such object: ${path}` } });
      if (key && byKey.has(`${req.method} ${path} ${key}`)) {
        send(200, JSON.parse(byKey.get(`${req.method} ${path} ${key}`) as string));
        return;
      }
      const remember = (o: unknown) => {
        if (key) byKey.set(`${req.method} ${path} ${key}`, JSON.stringify(o));
        send(200, o);
      };
      const body = parseForm(raw);
      let m: RegExpExecArray | null;
      if (req.method === 'POST' && path === '/v1/customers') {
        const c = { id: id('cus'), object: 'customer', email: body.email, name: body.name, metadata: body.metadata ?? {} };
        customers.set(c.id, c);
        return remember(c);
      }
      if (req.method === 'GET' && (m = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
        const c = customers.get(m[1] as string);
        return c ? send(200, c) : notFound();
      }
      if (req.method === 'GET' && path === '/v1/payment_methods') {
        const customer = new URL(req.url ?? '', 'http://x').searchParams.get('customer');
        return send(200, {
          object: 'list',
          data: customer ? [{ id: `pm_card_${customer}`, object: 'payment_method', type: 'card' }] : [],
          has_more: false,
        });
      }
      if (req.method === 'POST' && path === '/v1/payment_intents' && body.confirm === 'true') {
        if (state.declineNext > 0) {
          state.declineNext--;
          return send(402, { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } });
        }
        const piId = id('pi');
        const pi: Obj = {
          id: piId,
          object: 'payment_intent',
          created: Math.floor(Date.now() / 1000),
          amount: Number(body.amount),
          currency: body.currency,
          customer: body.customer,
          metadata: body.metadata ?? {},
          status: 'succeeded',
          client_secret: `${piId}_secret`,
          latest_charge: null,
          last_payment_error: null,
        };
        intents.set(piId, pi);
        const ch = newCharge(pi);
        charges.set(String(ch.id), ch);
        pi.latest_charge = ch.id;
        return remember(pi);
      }
      if (req.method === 'POST' && path === '/v1/payment_intents') {
        const piId = id('pi');
        const pi = {
          id: piId,
          object: 'payment_intent',
          created: Math.floor(Date.now() / 1000),
          amount: Number(body.amount),
          currency: body.currency,
          customer: body.customer,
          metadata: body.metadata ?? {},
          status: 'requires_payment_method',
          client_secret: `${piId}_secret_${Math.random().toString(36).slice(2, 10)}`,
          latest_charge: null,
          last_payment_error: null,
        };
        intents.set(pi.id, pi);
        return remember(pi);
      }
      if (req.method === 'GET' && path === '/v1/payment_intents') {
        const q = new URL(req.url ?? '', 'http://x').searchParams;
        const gte = Number(q.get('created[gte]') ?? 0);
        const lt = Number(q.get('created[lt]') ?? Number.POSITIVE_INFINITY);
        const all = [...intents.values()].filter(
          (pi) => (!q.get('customer') || pi.customer === q.get('customer')) && Number(pi.created) >= gte && Number(pi.created) < lt,
        );
        const expand = q.getAll('expand[0]').includes('data.latest_charge');
        const list = page(all.reverse(), q);
        if (expand)
          list.data = (list.data as Obj[]).map((pi) =>
            pi.latest_charge ? { ...pi, latest_charge: charges.get(String(pi.latest_charge)) } : pi,
          );
        return send(200, list);
      }
      if (req.method === 'GET' && path === '/v1/refunds') {
        const q = new URL(req.url ?? '', 'http://x').searchParams;
        const gte = Number(q.get('created[gte]') ?? 0);
        const lt = Number(q.get('created[lt]') ?? Number.POSITIVE_INFINITY);
        return send(200, page(refunds.filter((r) => Number(r.created) >= gte && Number(r.created) < lt).reverse(), q));
      }
      if (req.method === 'GET' && (m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) {
        const pi = intents.get(m[1] as string);
        if (!pi) return notFound();
        const expand = new URL(req.url ?? '', 'http://x').searchParams.getAll('expand[0]');
        return send(
          200,
          expand.includes('latest_charge') && pi.latest_charge ? { ...pi, latest_charge: charges.get(String(pi.latest_charge)) } : pi,
        );
      }
      if (req.method === 'GET' && (m = /^\/v1\/charges\/([^/]+)$/.exec(path))) {
        const ch = charges.get(m[1] as string);
        return ch ? send(200, ch) : notFound();
      }
      if (req.method === 'POST' && path === '/v1/refunds') {
        const pi = intents.get(String(body.payment_intent));
        const ch = pi?.latest_charge ? charges.get(String(pi.latest_charge)) : undefined;
        if (!pi || !ch) return notFound();
        const amount = body.amount ? Number(body.amount) : Number(ch.amount) - Number(ch.amount_refunded);
        if (Number(ch.amount_refunded) + amount > Number(ch.amount)) {
          return send(400, { error: { type: 'invalid_request_error', message: 'Refund exceeds charge' } });
        }
        ch.amount_refunded = Number(ch.amount_refunded) + amount;
        ch.refunded = ch.amount_refunded === ch.amount;
        return remember(newRefund(pi, ch, amount));
      }
      notFound();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: StripeStandIn = {
    url,
    webhookSecret,
    declineNext: 0,
    faults: [],
    intents,
    charges,
    requests,
    succeed(intentId) {
      const pi = intents.get(intentId) as Obj;
      const ch = newCharge(pi);
      charges.set(String(ch.id), ch);
      pi.status = 'succeeded';
      pi.latest_charge = ch.id;
      return pi;
    },
    fail(intentId, message) {
      const pi = intents.get(intentId) as Obj;
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { message };
      return pi;
    },
    refund(intentId, amount) {
      const pi = intents.get(intentId) as Obj;
      const ch = charges.get(String(pi.latest_charge)) as Obj;
      ch.amount_refunded = Number(ch.amount_refunded) + amount;
      ch.refunded = ch.amount_refunded === ch.amount;
      newRefund(pi, ch, amount);
      return ch;
    },
    event(type, object, opts = {}) {
      const eventId = opts.id ?? id('evt');
      const body = JSON.stringify({
        id: eventId,
        object: 'event',
        type,
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000),
        data: { object },
      });
      const signature = stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: opts.secret ?? webhookSecret,
        ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
      });
      return { body, signature, id: eventId };
    },
    sign: (body) => stripe.webhooks.generateTestHeaderString({ payload: body, secret: webhookSecret }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return state;
}
