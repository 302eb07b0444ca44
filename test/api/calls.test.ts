/**
 * VAPI calls: a call's charge comes from VAPI, never from the caller.
 *
 * Against the local VAPI stand-in (test/support/vapi-standin.ts), on SQLite and PostgreSQL:
 * - ending a real call asks VAPI to hang up (202 `ending`) and settles it from VAPI's end-of-
 *   call report, else from VAPI's record of the call; the caller's number is ignored; when
 *   VAPI cannot tell by the grace period, the whole hold is charged and logged;
 * - ambiguous starts (VAPI timed out having placed the call, or not; the service stopped
 *   between VAPI's answer and recording it) are reconciled with VAPI before anything is
 *   given back, and status changes are conditional;
 * - an abandoned start leaves the usage report and lifetime used;
 * - the sweeper pages through every due call;
 * - `GET /api/vapi/calls` lists the caller's calls;
 * - duplicates of a start in flight wait and replay, or answer `idempotency_conflict`.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallProvider, CallProviderError } from '../../src/core/calls/provider.js';
import { abandonCall, markCallStarted } from '../../src/core/calls/reconcile-call.js';
import { startCall } from '../../src/core/calls/start-call.js';
import { sweepCalls } from '../../src/core/calls/sweep-calls.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { computeCostMc } from '../../src/contracts/money.js';
import { activeDialects, testLedgerKey } from '../support/db.js';
import { until } from '../support/poll.js';
import { type TestServer, startTestServer, having } from '../support/server.js';
import { type VapiStandIn, startVapiStandIn } from '../support/vapi-standin.js';

const SECRET = 'vapi-hook-secret';
const CFG = { graceSeconds: 300, providerTimeoutMs: 400 };
const STATUS_WORDS = ['queued', 'in-progress', 'ending', 'ended', 'failed'];

/** Cost in millicredits of `ms` at the seeded 0.5 credits per minute. */
const minutesMc = (ms: number) => computeCostMc(500, ms, 'per_minute');

describe.each(await activeDialects())('VAPI calls on %s', (dialect) => {
  let vapi: VapiStandIn;
  /** Through the VAPI stand-in; background sweeps off (tests sweep when they mean to). */
  let real: TestServer;
  /** The same, with the background sweeper every second and its warnings captured. */
  let swept: TestServer;
  /** Simulated calls. */
  let sim: TestServer;
  const logs: string[] = [];
  beforeAll(async () => {
    vapi = await startVapiStandIn();
    const logStream = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    const env = {
      VAPI_WEBHOOK_SECRET: SECRET,
      VAPI_API_KEY: 'vapi-key',
      VAPI_API_BASE: vapi.url,
      VAPI_PHONE_NUMBER_ID: 'pn-1',
      VAPI_TIMEOUT_MS: String(CFG.providerTimeoutMs),
    };
    real = await startTestServer(dialect, { ...env, HOLD_SWEEP_SECONDS: '86400' });
    swept = await startTestServer(dialect, { ...env, HOLD_SWEEP_SECONDS: '1', LOG_LEVEL: 'warn' }, undefined, {
      level: 'warn',
      stream: logStream,
    });
    sim = await startTestServer(dialect, { VAPI_WEBHOOK_SECRET: SECRET, HOLD_SWEEP_SECONDS: '86400' });
  });
  afterAll(async () => {
    await real?.stop();
    await swept?.stop();
    await sim?.stop();
    await vapi?.close();
  });
  const reset = () => {
    Object.assign(vapi, { failNext: 0, refuseNext: 0, stallNext: 0, dropNext: 0, down: false, delayMs: 0, onHangUp: 'end', webhook: null });
  };
  const db = (on: TestServer = real) => on.running.core.database.db;
  const callRow = (vapiIdOrId: string, on: TestServer = real) =>
    db(on)
      .selectFrom('vapi_calls')
      .selectAll()
      .where((eb) => eb.or([eb('vapi_id', '=', vapiIdOrId), eb('id', '=', vapiIdOrId)]))
      .executeTakeFirstOrThrow();
  const holdOf = async (vapiIdOrId: string, on: TestServer = real) => {
    const c = await callRow(vapiIdOrId, on);
    return db(on).selectFrom('reservations').selectAll().where('id', '=', c.reservation_id).executeTakeFirstOrThrow();
  };
  /** Moves a call's start back in time (as if it had started `ms` ago). */
  const age = (vapiIdOrId: string, ms: number, on: TestServer = real) =>
    db(on)
      .updateTable('vapi_calls')
      .set({ created_at: Date.now() - ms })
      .where((eb) => eb.or([eb('vapi_id', '=', vapiIdOrId), eb('id', '=', vapiIdOrId)]))
      .execute();

  it('ends a real call through VAPI (202 ending) and charges what VAPI reports, not the caller’s 0 seconds', async () => {
    reset();
    vapi.webhook = { url: `${real.url}/api/vapi/webhook`, secret: SECRET };
    const u = await real.register();
    await real.grant(u.user.id, 10);
    const start = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 600 });
    expect(start.status).toBe(201);
    // VAPI answers a new call `queued`: so does the service.
    expect(start.body.call.status).toBe('queued');
    const id = start.body.call.id as string;
    expect(vapi.calls.get(id)?.name).toBe((await callRow(id)).id);
    // The call has been talking for two minutes when the caller claims it lasted nothing.
    const placed = vapi.calls.get(id);
    if (placed) placed.startedAt = new Date(Date.now() - 120_000).toISOString();
    const end = await u.api.post(`/api/vapi/calls/${id}/end`, { durationSeconds: 0 });
    expect(end.status).toBe(202);
    expect(end.body).toEqual({ call: { id, status: 'ending' } });
    expect(
      vapi.requests.some(
        (r) => r.method === 'POST' && r.path === `/call/${id}/control` && (r.body as { type?: string })?.type === 'end-call',
      ),
    ).toBe(true);
    expect(vapi.requests.find((r) => r.path === `/call/${id}/control`)?.auth).toBeUndefined();
    await vapi.settled();
    expect(vapi.reports).toContainEqual({ callId: id, status: 200 });
    const row = await callRow(id);
    const vapiMs = Date.parse(placed?.endedAt as string) - Date.parse(placed?.startedAt as string);
    expect(vapiMs).toBeGreaterThanOrEqual(120_000);
    expect(row).toMatchObject({ status: 'ended', duration_ms: vapiMs, settled_by: 'report' });
    const bal = (await u.api.get('/api/credits/balance')).body;
    expect(bal).toMatchObject({ reserved: 0, balance: (10_000 - 1_000 - minutesMc(vapiMs)) / 1000 });
    // A settled call: 200 and nothing changes, whatever the caller sends.
    const again = await u.api.post(`/api/vapi/calls/${id}/end`, { durationSeconds: 1 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ settled: false, call: { id, status: 'ended' }, credits: { charged: 0 } });
    expect((await u.api.get('/api/credits/balance')).body).toEqual(bal);
  });

  it('without a report, settles an ending call from VAPI’s record of it (GET /call/:id)', async () => {
    reset();
    const u = await swept.register();
    await swept.grant(u.user.id, 10);
    const id = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 })).body.call.id as string;
    const placed = vapi.calls.get(id);
    if (placed) placed.startedAt = new Date(Date.now() - 30_000).toISOString();
    expect((await u.api.post(`/api/vapi/calls/${id}/end`, {})).status).toBe(202);
    // The background sweeper (every second here) asks VAPI and settles it.
    const row = await until('the sweeper to settle the ending call', async () => {
      const r = await callRow(id, swept);
      return r.status === 'ended' ? r : null;
    });
    expect(row.end_requested_at).not.toBeNull();
    const vapiMs = Date.parse(placed?.endedAt as string) - Date.parse(placed?.startedAt as string);
    expect(row).toMatchObject({ duration_ms: vapiMs, settled_by: 'vapi', charged_mc: 1_000 + minutesMc(vapiMs) });
    expect((await holdOf(id, swept)).status).toBe('captured');
  });

  it('charges the whole hold and logs it when VAPI cannot tell by the grace period', async () => {
    reset();
    vapi.onHangUp = 'ignore';
    const u = await swept.register();
    await swept.grant(u.user.id, 10);
    const a = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 })).body.call.id as string;
    const b = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 60 })).body.call.id as string;
    expect((await u.api.post(`/api/vapi/calls/${a}/end`, {})).status).toBe(202);
    // Before the deadline nothing happens: VAPI has not said the call ended.
    const early = await sweepCalls(swept.running.core, swept.running.services.vapi as CallProvider, CFG);
    expect(early.untold).toEqual([]);
    expect((await callRow(a, swept)).status).toBe('ending');
    const aRow = await callRow(a, swept);
    const bRow = await callRow(b, swept);
    const warnings = () =>
      logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith('call charged its whole hold'));
    // Past maximum + grace, VAPI reports `a` with no end.
    await age(a, (120 + 300 + 1) * 1000, swept);
    expect(await until('the background sweeper to settle a', async () => warnings().find((l) => l.callId === aRow.id))).toMatchObject({
      vapiId: a,
      userId: u.user.id,
      reason: 'VAPI reports no end (status queued)',
    });
    // For `b`, VAPI does not answer at all.
    vapi.down = true;
    await age(b, (60 + 300 + 1) * 1000, swept);
    expect(await until('the background sweeper to settle b', async () => warnings().find((l) => l.callId === bRow.id))).toMatchObject({
      vapiId: b,
      userId: u.user.id,
      reason: 'VAPI did not answer',
    });
    vapi.down = false;
    expect(await callRow(a, swept)).toMatchObject({ status: 'ended', duration_ms: 120_000, settled_by: 'hold' });
    expect(await callRow(b, swept)).toMatchObject({ status: 'ended', duration_ms: 60_000, settled_by: 'hold' });
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ reserved: 0, balance: 10 - 2 - 1 - 0.5 });
  });

  it('answers a call in VAPI’s word: queued until VAPI’s status-update says in-progress, only forward, no credits moved', async () => {
    reset();
    const u = await real.register();
    await real.grant(u.user.id, 10);
    const start = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 });
    const id = start.body.call.id as string;
    expect(start.body.call.status).toBe('queued');
    const statusOf = async () => (await u.api.get('/api/vapi/calls')).body.items.find((c) => c.id === id)?.status;
    const listed = async (status: string) => (await u.api.get(`/api/vapi/calls?status=${status}`)).body.items.map((c) => c.id);
    const update = (status: string, callId = id) =>
      real.api.post('/api/vapi/webhook', { message: { type: 'status-update', status, call: { id: callId } } }, { 'x-vapi-secret': SECRET });
    const balance = (await u.api.get('/api/credits/balance')).body;
    expect(await statusOf()).toBe('queued');
    expect(await listed('queued')).toContain(id);
    expect(await listed('open')).toContain(id);
    // Ringing: nobody talks yet, still queued.
    expect((await update('ringing')).body).toEqual({ received: true, settled: false });
    expect(await statusOf()).toBe('queued');
    expect((await update('in-progress')).status).toBe(200);
    expect(await statusOf()).toBe('in-progress');
    expect(await listed('in-progress')).toContain(id);
    expect(await listed('queued')).not.toContain(id);
    // A late `queued` (messages out of order) and words of no live call change nothing.
    for (const late of ['queued', 'ringing', 'ended', 'bogus']) await update(late);
    expect((await callRow(id)).vapi_status).toBe('in-progress');
    // An unknown call: 200, nothing.
    expect((await update('in-progress', 'no-such-call')).body).toEqual({ received: true, settled: false });
    expect((await u.api.get('/api/credits/balance')).body).toEqual(balance);
    // Ending it: ending, whatever VAPI's last word; the end-of-call report settles it as before.
    const end = await u.api.post(`/api/vapi/calls/${id}/end`, {});
    expect(end.body).toEqual({ call: { id, status: 'ending' } });
    expect((await update('forwarding')).status).toBe(200);
    expect(await statusOf()).toBe('ending');
  });

  it('keeps VAPI’s word when its status-update overtakes the answer to the start, and asks VAPI about a call left waiting', async () => {
    reset();
    const u = await real.register();
    await real.grant(u.user.id, 10);
    const update = (status: string, call: { id: string; name?: string | null }) =>
      real.api.post('/api/vapi/webhook', { message: { type: 'status-update', status, call } }, { 'x-vapi-secret': SECRET });
    // VAPI answers the start late; its in-progress comes first, naming the call by the name it was placed with.
    vapi.delayMs = 200;
    const before = new Set(vapi.calls.keys());
    const starting = u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 });
    let placed: { id: string; name: string | null } | undefined;
    for (let i = 0; i < 100 && !placed; i++) {
      placed = [...vapi.calls.values()].find((c) => !before.has(c.id));
      if (!placed) await new Promise((r) => setTimeout(r, 10));
    }
    if (!placed) throw new Error('VAPI never got the call');
    expect((await update('in-progress', { id: placed.id, name: placed.name })).status).toBe(200);
    const start = await starting;
    vapi.delayMs = 0;
    expect(start.status).toBe(201);
    expect((await callRow(placed.id)).vapi_status).toBe('in-progress');
    expect((await u.api.get('/api/vapi/calls')).body.items.find((c) => c.id === placed?.id)?.status).toBe('in-progress');

    // A call whose status-update never came: a minute on, the sweeper asks VAPI and moves its word on.
    const quiet = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 });
    const quietId = quiet.body.call.id as string;
    expect(quiet.body.call.status).toBe('queued');
    const atVapi = vapi.calls.get(quietId);
    if (!atVapi) throw new Error('VAPI never got the call');
    atVapi.status = 'in-progress';
    expect((await sweepCalls(real.running.core, real.running.services.vapi as CallProvider, CFG)).refreshed).toBe(0);
    await age(quietId, 61_000);
    expect((await sweepCalls(real.running.core, real.running.services.vapi as CallProvider, CFG)).refreshed).toBe(1);
    expect((await callRow(quietId)).vapi_status).toBe('in-progress');
    expect((await callRow(quietId)).status).toBe('in_progress');
  });

  it('an ambiguous start that VAPI placed (its answer timed out) becomes the call VAPI has, not a refund', async () => {
    reset();
    const u = await real.register();
    await real.grant(u.user.id, 10);
    vapi.stallNext = 1;
    const r = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 });
    expect(r.status).toBe(201);
    const placed = [...vapi.calls.values()].find((c) => c.id === r.body.call.id);
    expect(placed).toBeDefined();
    expect(r.body).toMatchObject({
      call: { status: 'queued', maxDurationSeconds: 300 },
      credits: { charged: 1, reserved: 2.5, balance: 9, available: 6.5 },
    });
    expect((await holdOf(r.body.call.id)).status).toBe('active');
    expect(vapi.requests.some((q) => q.method === 'GET' && q.path.startsWith('/call?'))).toBe(true);
  });

  it('an ambiguous start that VAPI did not place keeps its hold until VAPI tells, then gives everything back (usage report and lifetime used too)', async () => {
    reset();
    const u = await real.register();
    await real.grant(u.user.id, 10);
    const postsBefore = vapi.requests.filter((q) => q.method === 'POST' && q.path === '/call').length;
    vapi.dropNext = 1;
    const headers = { 'idempotency-key': `amb-${u.user.id}` };
    const body = { phoneNumber: '+15551234567', maxDurationSeconds: 300 };
    const first = await u.api.post('/api/vapi/calls', body, headers);
    expect(first.status).toBe(502);
    expect(first.error).toMatchObject({ code: 'bad_gateway', details: { status: 'queued' } });
    const ourId = first.error?.details?.callId as string;
    // The call may be live: nothing is given back yet.
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 9, reserved: 2.5 });
    const open = (await u.api.get('/api/vapi/calls?status=open')).body.items;
    expect(open).toEqual([expect.objectContaining({ id: ourId, status: 'queued', reserved: 2.5, charged: 1 })]);
    // It cannot be ended before VAPI confirms it.
    expect((await u.api.post(`/api/vapi/calls/${ourId}/end`, {})).error?.code).toBe('conflict');
    // A retry soon after: VAPI still lists nothing, and the first may still be at it.
    const soon = await u.api.post('/api/vapi/calls', body, headers);
    expect(soon.status).toBe(409);
    expect(soon.error?.code).toBe('idempotency_conflict');
    // Past the start delay, VAPI still lists no such call: the start is given up.
    await age(ourId, CFG.graceSeconds * 1000 + 1000);
    const later = await u.api.post('/api/vapi/calls', body, headers);
    expect(later.status).toBe(502);
    expect(later.error?.message).toMatch(/nothing was charged/);
    const bal = (await u.api.get('/api/credits/balance')).body;
    expect(bal).toMatchObject({ balance: 10, reserved: 0, lifetimeUsed: 0 });
    const usage = (await u.api.get('/api/credits/usage')).body;
    expect(usage).toMatchObject({ totalCredits: 0, totalOperations: 0 });
    expect(usage.byOperation.filter((o) => o.operations !== 0)).toEqual([]);
    // The final answer is what a replay gets from now on.
    const replay = await u.api.post('/api/vapi/calls', body, headers);
    expect(replay.status).toBe(502);
    expect(replay.body).toEqual(later.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await u.api.get(`/api/vapi/calls`)).body.items[0]).toMatchObject({ id: ourId, status: 'failed', charged: 0, reserved: 0 });
    // VAPI was asked to place it once; the retries only asked VAPI's list.
    expect(vapi.requests.filter((q) => q.method === 'POST' && q.path === '/call').length - postsBefore).toBe(1);
  });

  it('a start VAPI refused (4xx) or failed (5xx, listing nothing) gives everything back at once, usage report and lifetime used included', async () => {
    reset();
    const u = await real.register();
    await real.grant(u.user.id, 10);
    vapi.refuseNext = 1;
    const refused = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' });
    expect(refused.status).toBe(502);
    vapi.failNext = 1;
    const failed = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' });
    expect(failed.status).toBe(502);
    expect(failed.error?.message).toMatch(/nothing was charged/);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 10, reserved: 0, lifetimeUsed: 0 });
    expect((await u.api.get('/api/credits/usage')).body).toMatchObject({ totalCredits: 0, totalOperations: 0 });
    const tx = (await u.api.get('/api/credits/transactions?type=adjustment')).body.items;
    expect(tx).toHaveLength(2);
    expect(tx[0]).toMatchObject({ amount: 1, description: 'Call could not be started: start charge returned' });
  });

  it('finds a call whose start was never recorded (the service stopped after VAPI answered): by its report, or by the sweeper', async () => {
    reset();
    const core = real.running.core;
    const provider = real.running.services.vapi as CallProvider;
    // The service "dies" right after VAPI placed the call: VAPI's answer is never recorded.
    const dying: CallProvider = {
      simulated: false,
      placeCall: async (input) => {
        await provider.placeCall(input);
        throw new Error('the process stopped here');
      },
      getCall: (id) => provider.getCall(id),
      findCall: (ref, since) => provider.findCall(ref, since),
      hangUp: (id) => provider.hangUp(id),
    };
    const u = await real.register();
    await real.grant(u.user.id, 10);
    const input = { userId: u.user.id, bypass: false, phoneNumber: '+15551234567', assistantId: null, maxDurationSeconds: 120 };
    await expect(startCall(core, dying, CFG, input)).rejects.toThrow('the process stopped here');
    await expect(startCall(core, dying, CFG, input)).rejects.toThrow('the process stopped here');
    const rows = await db().selectFrom('vapi_calls').selectAll().where('user_id', '=', u.user.id).orderBy('id').execute();
    expect(rows.map((r) => [r.status, r.vapi_id])).toEqual([
      ['starting', null],
      ['starting', null],
    ]);
    const [one, two] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const vapiOne = [...vapi.calls.values()].find((c) => c.name === one.id);
    const vapiTwo = [...vapi.calls.values()].find((c) => c.name === two.id);
    // 1. VAPI's end-of-call report names the call by VAPI's id and by the name it was placed with.
    const report = {
      message: {
        type: 'end-of-call-report',
        call: { id: vapiOne?.id, name: one.id },
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:01:30.000Z',
      },
    };
    expect((await real.api.post('/api/vapi/webhook', report, { 'x-vapi-secret': SECRET })).body).toEqual({ received: true, settled: true });
    expect(await callRow(one.id)).toMatchObject({ status: 'ended', vapi_id: vapiOne?.id, duration_ms: 90_000, settled_by: 'report' });
    // 2. No report: past the start delay the sweeper finds it in VAPI's list (ended, by VAPI's figures).
    if (vapiTwo) Object.assign(vapiTwo, { status: 'ended', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:40.000Z' });
    await age(two.id, CFG.graceSeconds * 1000 + 1000);
    await sweepCalls(core, provider, CFG);
    expect(await callRow(two.id)).toMatchObject({ status: 'ended', vapi_id: vapiTwo?.id, duration_ms: 40_000, settled_by: 'vapi' });
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ reserved: 0, balance: 10 - 2 - 0.75 - 0.334 });
  });

  it('gives up a simulated start the service never finished, everything back', async () => {
    reset();
    const core = sim.running.core;
    const u = await sim.register();
    await sim.grant(u.user.id, 10);
    const dying: CallProvider = {
      simulated: true,
      placeCall: async () => {
        throw new Error('the process stopped here');
      },
      getCall: async () => null,
      findCall: async () => null,
      hangUp: async () => {},
    };
    await expect(
      startCall(core, dying, CFG, {
        userId: u.user.id,
        bypass: false,
        phoneNumber: '+15551234567',
        assistantId: null,
        maxDurationSeconds: 120,
      }),
    ).rejects.toThrow();
    const row = await core.database.db.selectFrom('vapi_calls').selectAll().where('user_id', '=', u.user.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'starting', simulated: 1 });
    expect((await sweepCalls(core, sim.running.services.vapi as CallProvider, CFG)).abandoned).toBe(0);
    await core.database.db
      .updateTable('vapi_calls')
      .set({ created_at: Date.now() - CFG.graceSeconds * 1000 - 1000 })
      .where('id', '=', row.id)
      .execute();
    expect((await sweepCalls(core, sim.running.services.vapi as CallProvider, CFG)).abandoned).toBe(1);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 10, reserved: 0, lifetimeUsed: 0 });
  });

  it('changes a call’s status only from where it is: never in progress with a released hold, never failed over in progress', async () => {
    reset();
    const core = real.running.core;
    const u = await real.register();
    await real.grant(u.user.id, 50);
    const never: CallProvider = {
      simulated: false,
      placeCall: async () => {
        throw new Error('stopped before VAPI answered');
      },
      getCall: async () => null,
      findCall: async () => null,
      hangUp: async () => {},
    };
    const input = { userId: u.user.id, bypass: false, phoneNumber: '+15551234567', assistantId: null, maxDurationSeconds: 60 };
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      await startCall(core, never, CFG, input).catch(() => {});
    }
    for (const r of await db().selectFrom('vapi_calls').select('id').where('user_id', '=', u.user.id).execute()) ids.push(r.id);
    expect(ids).toHaveLength(6);
    // Abandoned first, then VAPI's answer arrives: the call stays failed (its hold is released).
    const [a, b, ...racing] = ids as [string, string, ...string[]];
    await abandonCall(core, a);
    expect((await markCallStarted(core, a, 'late-vapi-id', 'queued')).status).toBe('failed');
    // Started first, then a give-up: the call stays in progress with its hold.
    await markCallStarted(core, b, 'vapi-b', 'queued');
    expect((await abandonCall(core, b)).status).toBe('in_progress');
    // Both at once, on the others.
    await Promise.all(racing.flatMap((id, i) => [abandonCall(core, id), markCallStarted(core, id, `vapi-r${i}`, 'queued')]));
    for (const id of ids) {
      const c = await callRow(id);
      const hold = await holdOf(id);
      if (c.status === 'in_progress') expect(hold.status, id).toBe('active');
      else {
        expect(c.status, id).toBe('failed');
        expect(hold.status, id).toBe('released');
        expect(c.vapi_id, id).toBeNull();
      }
    }
    expect((await verifyLedger(db(), testLedgerKey)).violations).toEqual([]);
  });

  it('pages through every due call: calls that stay open never starve a newer one', async () => {
    reset();
    const u = await sim.register();
    await sim.grant(u.user.id, 30_000);
    const core = sim.running.core;
    // 205 long calls (4 hours) started 20 minutes ago: open, not due.
    for (let i = 0; i < 205; i++) {
      expect((await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 14_400 })).status).toBe(201);
    }
    await core.database.db
      .updateTable('vapi_calls')
      .set({ created_at: Date.now() - 20 * 60_000 })
      .where('user_id', '=', u.user.id)
      .execute();
    // A one-minute call started 10 minutes ago: due (60 s + 300 s grace).
    const short = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 60 })).body.call.id as string;
    await core.database.db
      .updateTable('vapi_calls')
      .set({ created_at: Date.now() - 10 * 60_000 })
      .where('vapi_id', '=', short)
      .execute();
    const swept = await sweepCalls(core, sim.running.services.vapi as CallProvider, CFG);
    expect(swept.settled).toBe(1);
    expect(
      await core.database.db
        .selectFrom('vapi_calls')
        .select(['status', 'duration_ms'])
        .where('vapi_id', '=', short)
        .executeTakeFirstOrThrow(),
    ).toEqual({ status: 'ended', duration_ms: 60_000 });

    // Real calls: 25 `ending` calls that VAPI never ends (due every pass, never settled) before a due one, pages of 10.
    vapi.onHangUp = 'ignore';
    const r = await real.register();
    await real.grant(r.user.id, 1000);
    const stuck: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = (await r.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 3600 })).body.call.id as string;
      expect((await r.api.post(`/api/vapi/calls/${id}/end`, {})).status).toBe(202);
      stuck.push(id);
    }
    await real.running.core.database.db
      .updateTable('vapi_calls')
      .set({ created_at: Date.now() - 20 * 60_000 })
      .where('user_id', '=', r.user.id)
      .execute();
    const due = (await r.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 60 })).body.call.id as string;
    await age(due, 10 * 60_000);
    const placed = vapi.calls.get(due);
    if (placed) Object.assign(placed, { status: 'ended', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:12.000Z' });
    await sweepCalls(real.running.core, real.running.services.vapi as CallProvider, CFG, { pageSize: 10 });
    expect(await callRow(due)).toMatchObject({ status: 'ended', duration_ms: 12_000 });
    for (const id of stuck) expect((await callRow(id)).status).toBe('ending');
  });

  it('settles a simulated call given longer than its maximum at its maximum: the length it could have had, the hold charged', async () => {
    reset();
    const u = await sim.register();
    await sim.grant(u.user.id, 10);
    const start = await u.api.post('/api/vapi/calls', { phoneNumber: '+15557654321', maxDurationSeconds: 300 });
    const end = await u.api.post(`/api/vapi/calls/${start.body.call.id}/end`, { durationSeconds: 400 });
    // 1 credit to start, 300 s at 0.5 a minute = 2.5 (not 400 s = 3.334).
    expect(end.body).toMatchObject({ settled: true, call: { status: 'ended', durationSeconds: 300 }, credits: { charged: 2.5 } });
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 6.5, reserved: 0 });
    const row = (await u.api.get('/api/credits/transactions?type=usage')).body.items.find((t) => t.description.startsWith('Call minutes'));
    expect(row?.description).toBe('Call minutes (300 s)');
  });

  it('ends a simulated call under an Idempotency-Key once: a retry replays the settlement (what was charged), another body under it is 409', async () => {
    const u = await sim.register();
    await sim.grant(u.user.id, 10);
    const start = await u.api.post('/api/vapi/calls', { phoneNumber: '+15557654321', maxDurationSeconds: 300 });
    const path = `/api/vapi/calls/${start.body.call.id}/end`;
    const headers = { 'idempotency-key': `end-${start.body.call.id}` };
    const first = await u.api.request('POST', path, { body: { durationSeconds: 90 }, headers });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ settled: true, credits: { charged: 0.75 } });
    // Until 6 December the retry answered settled: false, charged 0: a client that lost the first answer learnt nothing.
    const again = await u.api.request('POST', path, { body: { durationSeconds: 90 }, headers });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await u.api.request('POST', path, { body: { durationSeconds: 30 }, headers });
    expect(other.status).toBe(409);
    expect(other.error?.code).toBe('idempotency_conflict');
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 8.25, reserved: 0 });
  });

  it('caps a reported length at the call’s maximum, from VAPI’s report or VAPI’s record, super admin’s too: the row, the usage and its charge agree', async () => {
    reset();
    const report = (id: string, durationSeconds: number) =>
      real.api.post(
        '/api/vapi/webhook',
        { message: { type: 'end-of-call-report', call: { id }, durationSeconds } },
        { 'x-vapi-secret': SECRET },
      );
    /** The call's minutes: its usage row, and the metadata of the ledger row beside it. */
    const minutesOf = async (id: string) => {
      const row = await callRow(id);
      const usage = await db()
        .selectFrom('usage_tracking')
        .selectAll()
        .where('user_id', '=', row.user_id)
        .where('unit', '=', 'per_minute')
        .where('metadata', '=', JSON.stringify({ callId: id }))
        .executeTakeFirstOrThrow();
      const tx = await db()
        .selectFrom('credit_transactions')
        .select('metadata')
        .where('id', '=', usage.transaction_id)
        .executeTakeFirstOrThrow();
      return { row, usage, meta: JSON.parse(tx.metadata ?? '{}') as Record<string, unknown> };
    };
    // VAPI reports 1000 s for a 120 s call: 120 s it is, everywhere.
    const u = await real.register();
    await real.grant(u.user.id, 20);
    const id = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 })).body.call.id as string;
    expect((await report(id, 1000)).body).toEqual({ received: true, settled: true });
    const paid = await minutesOf(id);
    expect(paid.row).toMatchObject({ status: 'ended', duration_ms: 120_000, charged_mc: 1_000 + minutesMc(120_000) });
    expect(paid.usage).toMatchObject({ quantity_milli: 120_000, cost_mc: minutesMc(120_000), charged_mc: minutesMc(120_000) });
    expect(paid.meta).toMatchObject({ quantity: 120, durationSeconds: 120 });
    // A super admin's call is recorded at its maximum too, and so is what it would have cost.
    const boss = await real.userWithRole('super_admin');
    const free = (await boss.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 })).body.call.id as string;
    expect((await report(free, 1000)).body).toEqual({ received: true, settled: true });
    const bypassed = await minutesOf(free);
    expect(bypassed.row).toMatchObject({ status: 'ended', duration_ms: 120_000, charged_mc: 0 });
    expect(bypassed.usage).toMatchObject({ quantity_milli: 120_000, cost_mc: minutesMc(120_000), charged_mc: 0, bypass: 1 });
    expect(bypassed.meta).toMatchObject({ quantity: 120, durationSeconds: 120, wouldHaveCost: minutesMc(120_000) / 1000 });
    // No report: the sweeper settles from VAPI's record of the call, which says 10 minutes for a 60 s call.
    const swept = (await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 60 })).body.call.id as string;
    expect((await u.api.post(`/api/vapi/calls/${swept}/end`)).status).toBe(202);
    const placed = vapi.calls.get(swept);
    if (placed) Object.assign(placed, { status: 'ended', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:10:00.000Z' });
    await sweepCalls(real.running.core, real.running.services.vapi as CallProvider, CFG);
    const fromVapi = await minutesOf(swept);
    expect(fromVapi.row).toMatchObject({ status: 'ended', duration_ms: 60_000, settled_by: 'vapi' });
    expect(fromVapi.usage).toMatchObject({ quantity_milli: 60_000, cost_mc: minutesMc(60_000) });
    expect(fromVapi.meta).toMatchObject({ quantity: 60, durationSeconds: 60 });
  });

  it('ends a call sent no body, or an empty body as application/json, as if the body were {} (the body is optional)', async () => {
    reset();
    const u = await sim.register();
    await sim.grant(u.user.id, 10);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++)
      ids.push((await u.api.post('/api/vapi/calls', { phoneNumber: '+15557654321', maxDurationSeconds: 120 })).body.call.id);
    const bare = await u.api.request('POST', `/api/vapi/calls/${ids[0]}/end`);
    const empty = await u.api.request('POST', `/api/vapi/calls/${ids[1]}/end`, {
      raw: '',
      headers: { 'content-type': 'application/json' },
    });
    for (const [r, id] of [
      [bare, ids[0]],
      [empty, ids[1]],
    ] as const) {
      expect(r.status, r.text).toBe(200);
      expect(r.body).toMatchObject({ settled: true, call: { id, status: 'ended' } });
    }
    // The contract says so: the request body is not required.
    const doc = (await sim.api.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { requestBody?: { required?: boolean } }>>;
    };
    expect(doc.paths['/api/vapi/calls/{id}/end']?.post?.requestBody?.required).not.toBe(true);
  });

  it('lists the caller’s calls, newest first, paginated, `?status=open` for those not settled', async () => {
    reset();
    const u = await sim.register();
    await sim.grant(u.user.id, 20);
    const ids: string[] = [];
    for (const max of [60, 120, 180])
      ids.push((await u.api.post('/api/vapi/calls', { phoneNumber: '+15557654321', maxDurationSeconds: max })).body.call.id);
    const settled = await u.api.post(`/api/vapi/calls/${ids[0]}/end`, { durationSeconds: 30 });
    expect(settled.body).toMatchObject({ settled: true, call: { status: 'ended', durationSeconds: 30 } });
    const first = await u.api.get('/api/vapi/calls?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.items[0]).toEqual({
      id: ids[2],
      status: 'in-progress',
      phoneNumber: '+15557654321',
      maxDurationSeconds: 180,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      endedAt: null,
      durationSeconds: null,
      charged: 1,
      reserved: 1.5,
    });
    const second = await u.api.get(`/api/vapi/calls?limit=2&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`);
    expect(second.body.items).toEqual([
      expect.objectContaining({
        id: ids[0],
        status: 'ended',
        durationSeconds: 30,
        charged: 1.25,
        reserved: 0,
        endedAt: expect.any(String),
      }),
    ]);
    expect(second.body.nextCursor).toBeNull();
    const open = (await u.api.get('/api/vapi/calls?status=open')).body.items;
    expect(open.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    for (const c of [...first.body.items, ...second.body.items]) expect(STATUS_WORDS).toContain(c.status);
    expect((await u.api.get('/api/vapi/calls?cursor=forged.cursor')).status).toBe(400);
    expect((await u.api.get('/api/vapi/calls?status=live')).status).toBe(400);
    const other = await sim.register();
    expect((await other.api.get('/api/vapi/calls')).body).toEqual({ items: [], nextCursor: null });
    // A simulated call ended without a duration is charged for the time since its start.
    const noLength = await u.api.post(`/api/vapi/calls/${ids[1]}/end`, {});
    expect(noLength.status).toBe(200);
    expect(having(noLength.body.call, 'durationSeconds').durationSeconds).toBeGreaterThanOrEqual(0);
    expect(having(noLength.body.call, 'durationSeconds').durationSeconds).toBeLessThan(60);
  });

  it('duplicates of a start in flight wait for it and replay it, or answer idempotency_conflict; one call, one hold', async () => {
    reset();
    vapi.delayMs = 150;
    const u = await real.register();
    await real.grant(u.user.id, 20);
    const posts = () => vapi.requests.filter((q) => q.method === 'POST' && q.path === '/call').length;
    const body = { phoneNumber: '+15551234567', maxDurationSeconds: 120 };
    // Ten at once on one instance: they wait for the first and replay its answer.
    const before = posts();
    const key1 = { 'idempotency-key': `dup1-${u.user.id}` };
    const ten = await Promise.all(Array.from({ length: 10 }, () => u.api.post('/api/vapi/calls', body, key1)));
    expect(ten.map((r) => r.status)).toEqual(Array(10).fill(201));
    for (const r of ten) expect(r.body).toEqual(ten[0]?.body);
    expect(ten.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(posts() - before).toBe(1);
    // On a second instance sharing the database, while the first is still waiting for VAPI.
    const second = await startTestServer(dialect, real.env, real);
    try {
      const key2 = { 'idempotency-key': `dup2-${u.user.id}` };
      const firstOne = u.api.post('/api/vapi/calls', body, key2);
      await until('VAPI to be asked', async () => posts() - before === 2);
      const others = await Promise.all(Array.from({ length: 5 }, () => second.api.withToken(u.token).post('/api/vapi/calls', body, key2)));
      const first = await firstOne;
      expect(first.status).toBe(201);
      for (const r of others) {
        if (r.status === 201) expect(r.body).toEqual(first.body);
        else expect([r.status, r.error?.code]).toEqual([409, 'idempotency_conflict']);
      }
      expect(posts() - before).toBe(2);
      // Once done, every duplicate replays it, on either instance.
      const late = await second.api.withToken(u.token).post('/api/vapi/calls', body, key2);
      expect(late.status).toBe(201);
      expect(late.body).toEqual(first.body);
    } finally {
      await second.stop();
    }
    expect(await db().selectFrom('vapi_calls').select('id').where('user_id', '=', u.user.id).execute()).toHaveLength(2);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 18, reserved: 2 });
  });

  it('leaves the ledgers verifiable', async () => {
    reset();
    for (const on of [real, swept, sim])
      expect((await verifyLedger(on.running.core.database.db, on.running.core.ledgerKey)).violations).toEqual([]);
  });
});

describe('the VAPI client', () => {
  it('tells a refusal (nothing placed) from an answer that never came (maybe placed)', async () => {
    const vapi = await startVapiStandIn();
    const { HttpVapiClient } = await import('../../src/integrations/vapi/client.js');
    const client = new HttpVapiClient({ apiKey: 'k', apiBase: vapi.url, phoneNumberId: 'pn', assistantId: 'as', timeoutMs: 200 });
    const place = () =>
      client.placeCall({ reference: 'ref-1', phoneNumber: '+15551234567', assistantId: null, maxDurationSeconds: 60 }).then(
        () => null,
        (e: CallProviderError) => ({ definite: e.definite, answered: e.answered }),
      );
    try {
      vapi.refuseNext = 1;
      expect(await place()).toEqual({ definite: true, answered: true });
      vapi.failNext = 1;
      expect(await place()).toEqual({ definite: false, answered: true });
      vapi.dropNext = 1;
      expect(await place()).toEqual({ definite: false, answered: false });
      expect(await place()).toBeNull();
      const found = await client.findCall('ref-1', Date.now());
      expect(found).toMatchObject({ reference: 'ref-1', status: 'queued' });
      expect(await client.getCall('no-such-call')).toBeNull();
      await client.hangUp(found?.id as string);
      expect(await client.getCall(found?.id as string)).toMatchObject({ status: 'ended' });
    } finally {
      await vapi.close();
    }
  });
});
