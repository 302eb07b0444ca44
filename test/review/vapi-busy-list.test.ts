/**
 * Review finding: a start that VAPI placed but did not confirm is looked for in VAPI's call
 * list, one page of at most 1,000 calls, newest first. On a VAPI account that made more
 * than 1,000 calls after it (in the 35 minutes the list covers), the call is not on that
 * page: the sweeper gives it up (hold released, start charge returned) while VAPI's call
 * is live, and its end-of-call report then finds a failed call and charges nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallProvider, CallProviderError } from '../../src/core/calls/provider.js';
import { startCall } from '../../src/core/calls/start-call.js';
import { sweepCalls } from '../../src/core/calls/sweep-calls.js';
import { HttpVapiClient } from '../../src/integrations/vapi/client.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type VapiStandIn, startVapiStandIn } from '../support/vapi-standin.js';

const SECRET = 'vapi-hook-secret';
const CFG = { graceSeconds: 300, providerTimeoutMs: 400 };

describe.each(await activeDialects())('an unconfirmed start on a busy VAPI account (%s)', (dialect) => {
  let vapi: VapiStandIn;
  let s: TestServer;
  beforeAll(async () => {
    vapi = await startVapiStandIn();
    s = await startTestServer(dialect, {
      VAPI_WEBHOOK_SECRET: SECRET,
      VAPI_API_KEY: 'vapi-key',
      VAPI_API_BASE: vapi.url,
      VAPI_PHONE_NUMBER_ID: 'pn-1',
      VAPI_TIMEOUT_MS: String(CFG.providerTimeoutMs),
      HOLD_SWEEP_SECONDS: '86400',
    });
  });
  const provider = () => s.running.services.vapi as CallProvider;
  afterAll(async () => {
    await s?.stop();
    await vapi?.close();
  });

  it('is not given up while VAPI has it, however many calls VAPI made after it', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    // 1,000 calls of the same VAPI account placed in the minutes after this one.
    const later = Date.now() + 60_000;
    for (let i = 0; i < 1000; i++) {
      const id = `other-${i}`;
      vapi.calls.set(id, { id, name: `other-${i}`, body: {}, status: 'ended', createdAt: new Date(later + i).toISOString() });
    }
    // VAPI places the call but its answer never comes: the start looks for it in VAPI's list.
    vapi.stallNext = 1;
    const r = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 });
    const db = s.running.core.database.db;
    const first = await db.selectFrom('vapi_calls').selectAll().where('user_id', '=', u.user.id).executeTakeFirstOrThrow();
    const placedFirst = [...vapi.calls.values()].find((c) => c.name === first.id);
    expect(placedFirst).toBeDefined();
    if (r.status === 502) {
      // Not found at once: past the start delay, the sweeper asks VAPI's list again.
      await db
        .updateTable('vapi_calls')
        .set({ created_at: first.created_at - (CFG.graceSeconds * 1000 + 1000) })
        .where('id', '=', first.id)
        .execute();
      await sweepCalls(s.running.core, provider(), CFG);
    }
    expect(await db.selectFrom('vapi_calls').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow()).toMatchObject({
      status: 'in_progress',
      vapi_id: placedFirst?.id,
    });

    // The service stops right after VAPI placed a call: only the sweeper can find it.
    const dying: CallProvider = {
      simulated: false,
      placeCall: async (input) => {
        await provider().placeCall(input);
        throw new Error('the process stopped here');
      },
      getCall: (id) => provider().getCall(id),
      findCall: (ref, since) => provider().findCall(ref, since),
      hangUp: (id) => provider().hangUp(id),
    };
    const input = { userId: u.user.id, bypass: false, phoneNumber: '+15551234567', assistantId: null, maxDurationSeconds: 120 };
    await expect(startCall(s.running.core, dying, CFG, input)).rejects.toThrow('the process stopped here');
    const second = await db
      .selectFrom('vapi_calls')
      .selectAll()
      .where('user_id', '=', u.user.id)
      .where('status', '=', 'starting')
      .executeTakeFirstOrThrow();
    const placedSecond = [...vapi.calls.values()].find((c) => c.name === second.id);
    expect(placedSecond).toBeDefined();
    await db
      .updateTable('vapi_calls')
      .set({ created_at: second.created_at - (CFG.graceSeconds * 1000 + 1000) })
      .where('id', '=', second.id)
      .execute();
    await sweepCalls(s.running.core, provider(), CFG);
    expect(await db.selectFrom('vapi_calls').selectAll().where('id', '=', second.id).executeTakeFirstOrThrow()).toMatchObject({
      status: 'in_progress',
      vapi_id: placedSecond?.id,
    });
  });

  it('when VAPI lists more calls at one instant than one page holds, says it cannot tell (never “not placed”), within a bounded number of requests', async () => {
    const at = new Date(Date.now() + 120_000).toISOString();
    const since = Date.parse(at) - 1000;
    for (let i = 0; i < 1001; i++) {
      const id = `same-instant-${i}`;
      vapi.calls.set(id, { id, name: `crowd-${i}`, body: {}, status: 'ended', createdAt: at });
    }
    const client = new HttpVapiClient({
      apiKey: 'vapi-key',
      apiBase: vapi.url,
      phoneNumberId: 'pn-1',
      assistantId: undefined,
      timeoutMs: 2000,
    });
    const before = vapi.requests.length;
    // The 1,001st call of that instant is not on the page VAPI answers.
    await expect(client.findCall('crowd-1000', since)).rejects.toBeInstanceOf(CallProviderError);
    expect(vapi.requests.length - before).toBeLessThanOrEqual(64);
  });
});
