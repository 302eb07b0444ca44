/**
 * requireCredits for Express against the stand-in service: reserves before the handler,
 * captures `res.locals.creditsQuantity` (or the reserved quantity) when the response
 * finishes below 400, rounded up to 3 decimals and read from a decimal string too, releases
 * the hold and tells onSettleError when the handler set it to anything else, releases after
 * an error status, a thrown handler or a client that went away, and answers 402 in the
 * contract's shape without running the handler.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreditsClient } from '../src/index.js';
import { requireCredits } from '../src/express.js';
import { type FakeService, startFakeService } from './fake-service.js';

const KEY = 'ck_live_express_test';

describe('requireCredits (Express)', () => {
  let svc: FakeService;
  let server: Server;
  let base: string;
  let ran = 0;
  let slowStarted: () => void = () => {};
  const settleErrors: unknown[] = [];
  beforeAll(async () => {
    svc = await startFakeService(KEY);
    const client = new CreditsClient({ baseUrl: svc.url, apiKey: KEY, maxRetries: 0 });
    const customer = (req: Request) => String(req.header('x-customer'));
    const app = express();
    app.use(express.json());
    app.post(
      '/screen',
      requireCredits({ client, customer, operation: 'candidate_screening', unit: 'per_candidate', quantity: 1 }),
      (_req, res) => {
        ran++;
        res.json({ screened: true });
      },
    );
    app.post(
      '/interview',
      requireCredits({
        client,
        customer,
        operation: 'interview',
        unit: 'per_minute',
        quantity: (req: Request) => Number(req.body.maxSeconds),
      }),
      async (req, res) => {
        ran++;
        res.locals.creditsQuantity = Number(req.body.usedSeconds);
        res.status(201).json({ done: true, hold: res.locals.creditsHold.id });
      },
    );
    app.post(
      '/measured',
      requireCredits({
        client,
        customer,
        operation: 'interview',
        unit: 'per_minute',
        quantity: 600,
        onSettleError: (err) => settleErrors.push(err),
      }),
      (req, res) => {
        ran++;
        res.locals.creditsQuantity = req.body.used;
        res.json({ done: true });
      },
    );
    app.post('/broken', requireCredits({ client, customer, operation: 'o', unit: 'per_call', quantity: 3 }), async () => {
      ran++;
      throw new Error('handler failed');
    });
    app.post('/slow', requireCredits({ client, customer, operation: 'o', unit: 'per_call', quantity: 3 }), async (_req, res) => {
      ran++;
      slowStarted();
      await new Promise((r) => setTimeout(r, 500));
      if (!res.writableEnded) res.json({ late: true });
    });
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ error: { code: 'internal_error', message: err.message } });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await svc?.close();
  });

  const post = (path: string, customer: string, body: unknown = {}, signal?: AbortSignal) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-customer': customer },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const calls = () =>
    svc.requests.filter((r) => r.url.startsWith('/api/v1/holds')).map((r) => `${r.url.replace(/hold-\d+/, 'H')} ${JSON.stringify(r.body)}`);

  it('captures the reserved quantity after a success', async () => {
    svc.available.set('e1', 1);
    svc.requests.length = 0;
    expect((await post('/screen', 'e1')).status).toBe(200);
    await expect
      .poll(calls)
      .toEqual([
        `/api/v1/holds ${JSON.stringify({ customer: 'e1', operation: 'candidate_screening', unit: 'per_candidate', quantity: 1 })}`,
        `/api/v1/holds/H/capture ${JSON.stringify({ quantity: 1 })}`,
      ]);
    expect(svc.available.get('e1')).toBe(0.9);
  });

  it('reserves a quantity read from the request and captures res.locals.creditsQuantity', async () => {
    svc.available.set('e2', 100);
    svc.requests.length = 0;
    const r = await post('/interview', 'e2', { maxSeconds: 600, usedSeconds: 95 });
    expect(r.status).toBe(201);
    expect((await r.json()).hold).toMatch(/^hold-/);
    await expect.poll(() => calls().at(-1)).toBe(`/api/v1/holds/H/capture ${JSON.stringify({ quantity: 95 })}`);
    expect(svc.requests[0]?.body.quantity).toBe(600);
    expect(svc.available.get('e2')).toBe(90.5);
  });

  it('captures a quantity set as a decimal string, or with more than 3 decimals rounded up', async () => {
    svc.available.set('e6', 100);
    svc.requests.length = 0;
    expect((await post('/measured', 'e6', { used: '30' })).status).toBe(200);
    await expect.poll(() => calls().at(-1)).toBe(`/api/v1/holds/H/capture ${JSON.stringify({ quantity: 30 })}`);
    expect(svc.available.get('e6')).toBe(97);
    expect((await post('/measured', 'e6', { used: 30.1234 })).status).toBe(200);
    await expect.poll(() => calls().at(-1)).toBe(`/api/v1/holds/H/capture ${JSON.stringify({ quantity: 30.124 })}`);
    expect(svc.available.get('e6')).toBe(93.987); // 97 - ceil(3012.4 mc)
    expect(settleErrors).toEqual([]);
  });

  it('releases the hold, charging nothing, and tells onSettleError when the handler sets a quantity that is not one', async () => {
    for (const used of ['abc', -1, null]) {
      svc.available.set('e7', 100);
      svc.requests.length = 0;
      settleErrors.length = 0;
      expect((await post('/measured', 'e7', { used })).status).toBe(200);
      await expect.poll(() => calls().at(-1)).toBe('/api/v1/holds/H/release {}');
      expect(calls().some((c) => c.includes('capture'))).toBe(false);
      expect(svc.available.get('e7')).toBe(100);
      await expect.poll(() => settleErrors).toHaveLength(1);
      expect((settleErrors[0] as Error).message).toContain(`creditsQuantity to ${JSON.stringify(used)},`);
    }
  });

  it('releases after a thrown handler', async () => {
    svc.available.set('e3', 10);
    svc.requests.length = 0;
    expect((await post('/broken', 'e3')).status).toBe(500);
    await expect.poll(() => calls().at(-1)).toBe('/api/v1/holds/H/release {}');
    expect(calls().some((c) => c.includes('capture'))).toBe(false);
    expect(svc.available.get('e3')).toBe(10);
  });

  it('releases when the client goes away during the handler, or while the hold is being made', async () => {
    svc.available.set('e5', 10);
    svc.requests.length = 0;
    const started = new Promise<void>((r) => {
      slowStarted = r;
    });
    const gone = new AbortController();
    const answer = post('/slow', 'e5', {}, gone.signal).catch(() => 'aborted');
    await started;
    gone.abort();
    expect(await answer).toBe('aborted');
    await expect.poll(() => calls().at(-1), { timeout: 5000 }).toBe('/api/v1/holds/H/release {}');
    expect(svc.available.get('e5')).toBe(10);

    // Gone before the service answered the hold: the handler never runs, the hold is released.
    svc.requests.length = 0;
    const before = ran;
    svc.failNext({ kind: 'slow', ms: 400 });
    const early = new AbortController();
    const answer2 = post('/slow', 'e5', {}, early.signal).catch(() => 'aborted');
    await expect.poll(() => svc.requests.length).toBe(1); // the hold request reached the service
    early.abort();
    expect(await answer2).toBe('aborted');
    await expect.poll(() => calls().at(-1), { timeout: 5000 }).toBe('/api/v1/holds/H/release {}');
    expect(ran).toBe(before);
    expect(svc.available.get('e5')).toBe(10);
  });

  it('answers 402 in the contract’s shape and does not run the handler when the customer cannot afford it', async () => {
    svc.available.set('e4', 0.05);
    const before = ran;
    const r = await post('/screen', 'e4');
    expect(r.status).toBe(402);
    expect(await r.json()).toEqual({
      error: { code: 'insufficient_credits', message: expect.any(String), details: { required: 0.1, available: 0.05 } },
    });
    expect(ran).toBe(before);
  });
});
