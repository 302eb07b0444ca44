/**
 * A duplicate that another instance commits between this request's lookup of its key and its
 * own checks: the checks refuse it for what the first did (a hold already captured), and the
 * request answers the first's stored reply as a replay instead (API.md). CI caught it on
 * 6 December: two instances capturing one hold with one key answered 200 and 409 in one round
 * of six. Here the other instance's commit is made inside `fn`, so the window is certain.
 */
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects, createTestDb, type TestDb } from '../../../test/support/db.js';
import { conflict, DomainError, insufficientCredits } from '../../core/errors.js';
import { HttpError } from '../http-errors.js';
import { Idempotency, type StoredReply } from './idempotency.js';

const request = (key: string, body: unknown = { quantity: 300 }) =>
  ({
    headers: { 'idempotency-key': key },
    method: 'POST',
    url: '/api/v1/holds/h1/capture',
    routeOptions: { url: '/api/v1/holds/:id/capture' },
    params: { id: 'h1' },
    body,
  }) as unknown as FastifyRequest;

describe.each(await activeDialects())('idempotency on %s', (dialect) => {
  let t: TestDb;
  let idem: Idempotency;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    idem = new Idempotency(t.database.db);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const first: StoredReply = { status: 200, body: { hold: { id: 'h1', status: 'captured' } } };
  /** What the other instance commits: the key with its reply. */
  const otherInstanceCommits = (req: FastifyRequest, key: string, reply: StoredReply = first) =>
    idem.store(`svc:${key}`, idem.fingerprint(req), reply);

  it('answers a refusal that follows a duplicate committed elsewhere as a replay of it', async () => {
    const req = request('k-run');
    const r = await idem.run(req, { scope: 'svc', render: () => ({ status: 500, body: 'not rendered' }) }, async () => {
      await otherInstanceCommits(req, 'k-run');
      throw conflict('This hold is already captured.', { status: 'captured' });
    });
    expect(r).toEqual({ ...first, replayed: true });

    const out = request('k-outside');
    const o = await idem.runOutside(out, 'svc', async () => {
      await otherInstanceCommits(out, 'k-outside');
      throw conflict('This payment is already refunded.');
    });
    expect(o).toEqual({ ...first, replayed: true });

    const flow = request('k-flow');
    const f = await idem.runFlow(flow, 'svc', async () => {
      await otherInstanceCommits(flow, 'k-flow');
      throw conflict('This call has already ended.');
    });
    expect(f).toEqual({ ...first, replayed: true });
  });

  it('keeps the refusal when no duplicate committed, or when the one stored is still pending', async () => {
    const refused = () =>
      idem.run(request('k-none'), { scope: 'svc', render: () => first }, () => Promise.reject(insufficientCredits(5000, 1000)));
    await expect(refused()).rejects.toMatchObject({ code: 'insufficient_credits' });

    const flow = request('k-pending');
    const pending = idem.runFlow(flow, 'svc', async () => {
      await otherInstanceCommits(flow, 'k-pending', { status: 202, body: null, pending: true });
      throw conflict('This call has already ended.');
    });
    await expect(pending).rejects.toMatchObject({ code: 'conflict' });
  });

  it('keeps a failure of the service a failure: no read, no replay', async () => {
    const req = request('k-fail');
    const failed = idem.run(req, { scope: 'svc', render: () => first }, async () => {
      await otherInstanceCommits(req, 'k-fail');
      throw new Error('connection terminated');
    });
    await expect(failed).rejects.toThrow('connection terminated');
    // A 5xx of ours too (the writer shedding load, VAPI failing): answered as it is.
    for (const [key, err] of [
      ['k-shed', new DomainError('overloaded', 'The service is busy.')],
      ['k-vapi', new HttpError('bad_gateway', 'VAPI could not start the call.')],
    ] as const) {
      const r = request(key);
      const shed = idem.run(r, { scope: 'svc', render: () => first }, async () => {
        await otherInstanceCommits(r, key);
        throw err;
      });
      await expect(shed).rejects.toBe(err);
    }
  });

  it('is 409 idempotency_conflict when the duplicate committed elsewhere asked something else', async () => {
    const req = request('k-other', { quantity: 300 });
    const r = idem.run(req, { scope: 'svc', render: () => first }, async () => {
      await otherInstanceCommits(request('k-other', { quantity: 60 }), 'k-other');
      throw conflict('This hold is already captured.');
    });
    await expect(r).rejects.toMatchObject({ code: 'idempotency_conflict' });
  });
});
