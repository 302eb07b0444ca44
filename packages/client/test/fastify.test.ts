/**
 * requireCredits for Fastify against the stand-in service: reserves before the handler,
 * captures the handler's actual quantity (or the reserved one) after a status below 400,
 * rounded up to 3 decimals and read from a decimal string too, releases the hold and tells
 * onSettleError when the handler set it to anything else, releases after an error status
 * or a thrown handler, and answers 402 in the contract's shape without running the handler
 * when the customer cannot afford it.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreditsClient } from '../src/index.js';
import { requireCredits } from '../src/fastify.js';
import { type FakeService, startFakeService } from './fake-service.js';

const KEY = 'ck_live_fastify_test';

describe('requireCredits (Fastify)', () => {
  let svc: FakeService;
  let app: FastifyInstance;
  let ran = 0;
  const settleErrors: unknown[] = [];
  beforeAll(async () => {
    svc = await startFakeService(KEY);
    const client = new CreditsClient({ baseUrl: svc.url, apiKey: KEY, maxRetries: 0 });
    const customer = (req: FastifyRequest) => String(req.headers['x-customer']);
    app = Fastify();
    app.post(
      '/screen',
      { preHandler: requireCredits({ client, customer, operation: 'candidate_screening', unit: 'per_candidate', quantity: 1 }) },
      async () => {
        ran++;
        return { screened: true };
      },
    );
    app.post(
      '/interview',
      {
        preHandler: requireCredits({
          client,
          customer,
          operation: 'interview',
          unit: 'per_minute',
          quantity: (req: FastifyRequest) => Number((req.body as { maxSeconds: number }).maxSeconds),
        }),
      },
      async (req) => {
        ran++;
        (req as FastifyRequest & { creditsQuantity?: number }).creditsQuantity = (req.body as { usedSeconds: number }).usedSeconds;
        return { done: true };
      },
    );
    app.post(
      '/measured',
      {
        preHandler: requireCredits({
          client,
          customer,
          operation: 'interview',
          unit: 'per_minute',
          quantity: 600,
          onSettleError: (err) => settleErrors.push(err),
        }),
      },
      async (req) => {
        ran++;
        (req as FastifyRequest & { creditsQuantity?: unknown }).creditsQuantity = (req.body as { used: unknown }).used;
        return { done: true };
      },
    );
    app.post('/broken', { preHandler: requireCredits({ client, customer, operation: 'o', unit: 'per_call', quantity: 3 }) }, async () => {
      ran++;
      throw new Error('handler failed');
    });
    app.post(
      '/refused',
      { preHandler: requireCredits({ client, customer, operation: 'o', unit: 'per_call', quantity: 3 }) },
      async (_req, reply) => {
        ran++;
        return reply.code(422).send({ nope: true });
      },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await svc?.close();
  });

  const post = (path: string, customer: string, body: unknown = {}) =>
    fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-customer': customer },
      body: JSON.stringify(body),
    });
  const calls = (customer: string) => {
    return svc.requests
      .filter((r) => r.url.startsWith('/api/v1/holds') && (r.body?.customer === customer || r.url.includes('/hold-')))
      .map((r) => `${r.url.replace(/hold-\d+/, 'H')} ${JSON.stringify(r.body)}`);
  };

  it('captures the reserved quantity after a success', async () => {
    svc.available.set('f1', 1);
    svc.requests.length = 0;
    const r = await post('/screen', 'f1');
    expect(r.status).toBe(200);
    await expect
      .poll(() => calls('f1'))
      .toEqual([
        `/api/v1/holds ${JSON.stringify({ customer: 'f1', operation: 'candidate_screening', unit: 'per_candidate', quantity: 1 })}`,
        `/api/v1/holds/H/capture ${JSON.stringify({ quantity: 1 })}`,
      ]);
    expect(svc.available.get('f1')).toBe(0.9);
  });

  it('reserves a quantity read from the request and captures what the handler says it used', async () => {
    svc.available.set('f2', 100);
    svc.requests.length = 0;
    expect((await post('/interview', 'f2', { maxSeconds: 600, usedSeconds: 95 })).status).toBe(200);
    await expect.poll(() => calls('f2').at(-1)).toBe(`/api/v1/holds/H/capture ${JSON.stringify({ quantity: 95 })}`);
    expect(svc.requests[0]?.body.quantity).toBe(600);
    expect(svc.available.get('f2')).toBe(90.5);
  });

  it('captures a quantity set as a decimal string, or with more than 3 decimals rounded up', async () => {
    svc.available.set('f6', 100);
    svc.requests.length = 0;
    expect((await post('/measured', 'f6', { used: '30' })).status).toBe(200);
    await expect.poll(() => calls('f6').at(-1)).toBe(`/api/v1/holds/H/capture ${JSON.stringify({ quantity: 30 })}`);
    expect(svc.available.get('f6')).toBe(97);
    expect((await post('/measured', 'f6', { used: 30.1234 })).status).toBe(200);
    await expect.poll(() => calls('f6').at(-1)).toBe(`/api/v1/holds/H/capture ${JSON.stringify({ quantity: 30.124 })}`);
    expect(svc.available.get('f6')).toBe(93.987); // 97 - ceil(3012.4 mc)
    expect(settleErrors).toEqual([]);
  });

  it('releases the hold, charging nothing, and tells onSettleError when the handler sets a quantity that is not one', async () => {
    for (const used of ['abc', -1, null]) {
      svc.available.set('f7', 100);
      svc.requests.length = 0;
      settleErrors.length = 0;
      expect((await post('/measured', 'f7', { used })).status).toBe(200);
      await expect.poll(() => calls('f7').at(-1)).toBe('/api/v1/holds/H/release {}');
      expect(calls('f7').some((c) => c.includes('capture'))).toBe(false);
      expect(svc.available.get('f7')).toBe(100);
      await expect.poll(() => settleErrors).toHaveLength(1);
      expect((settleErrors[0] as Error).message).toContain(`creditsQuantity to ${JSON.stringify(used)},`);
    }
  });

  it('releases after a thrown handler or an error status', async () => {
    svc.available.set('f3', 10);
    svc.requests.length = 0;
    expect((await post('/broken', 'f3')).status).toBe(500);
    await expect.poll(() => calls('f3').at(-1)).toBe('/api/v1/holds/H/release {}');
    expect((await post('/refused', 'f3')).status).toBe(422);
    await expect.poll(() => calls('f3').filter((c) => c.includes('release'))).toHaveLength(2);
    expect(calls('f3').some((c) => c.includes('capture'))).toBe(false);
    expect(svc.available.get('f3')).toBe(10);
  });

  it('answers 402 in the contract’s shape and does not run the handler when the customer cannot afford it', async () => {
    svc.available.set('f4', 0.05);
    const before = ran;
    const r = await post('/screen', 'f4');
    expect(r.status).toBe(402);
    expect(await r.json()).toEqual({
      error: { code: 'insufficient_credits', message: expect.any(String), details: { required: 0.1, available: 0.05 } },
    });
    expect(ran).toBe(before);
  });
});
