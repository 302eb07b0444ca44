/**
 * A member's monthly limit over HTTP, on both databases: with `X-Account` of the organisation a
 * metered route (POST /api/messages, POST /api/workflows/:id/execute) past the member's limit
 * is 402 `member_limit_exceeded` with the contract's details (`limit`, `used`, `required`, in
 * credits) and nothing is charged (the organisation's balance, its ledger and usage rows and
 * the member's month stay as they were); the owner, who has no limit, still spends; a raised
 * limit, then no limit, lets the same request through. The service API's usage (single and
 * batch) naming the organisation as `customer` and the user as `member` is refused the same
 * way. `credits verify` is clean after.
 *
 * (POST /api/usage, part one's metering route for other backends, names a user by `userId`
 * and takes no `X-Account`: an organisation is metered through the service API's `customer`.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthOf } from '../../src/core/ledger/decide-members.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

const KEY = 'svc-key-member-limits';

describe.each(await activeDialects())('member limits over HTTP on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { SERVICE_API_KEY: KEY });
  });
  afterAll(async () => {
    await s?.stop();
  });

  async function team(externalId: string) {
    const owner = await s.register({ name: 'Owner' });
    const org = (await owner.api.post('/api/orgs', { name: 'Limits', externalId })).body.organization as { id: string };
    const member = await s.register({ name: 'Member' });
    const inv = await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: member.user.email, role: 'member' });
    expect((await member.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    await s.grant(org.id, 50);
    await s.grant(member.user.id, 7);
    return { owner, member, org, as: { 'x-account': org.id } };
  }

  /** Everything a charge of the organisation writes: its balance, its ledger and usage rows, the member's month. */
  async function state(orgId: string, memberId: string) {
    const db = s.running.core.database.db;
    const [account, ledger, usage, month] = await Promise.all([
      db.selectFrom('user_credits').select(['balance_mc', 'reserved_mc', 'seq']).where('user_id', '=', orgId).executeTakeFirstOrThrow(),
      db
        .selectFrom('credit_transactions')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('user_id', '=', orgId)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('usage_tracking')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('user_id', '=', orgId)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('member_month_usage')
        .select('used_mc')
        .where('account_id', '=', orgId)
        .where('user_id', '=', memberId)
        .where('month', '=', monthOf(Date.now()))
        .executeTakeFirst(),
    ]);
    return {
      balanceMc: Number(account.balance_mc),
      reservedMc: Number(account.reserved_mc),
      seq: Number(account.seq),
      ledgerRows: Number(ledger.n),
      usageRows: Number(usage.n),
      usedMc: Number(month?.used_mc ?? 0),
    };
  }

  it('402 member_limit_exceeded on metered routes through X-Account, nothing charged; a raised limit lets it through', async () => {
    const { owner, member, org, as } = await team(`limits-a-${dialect}`);
    const setLimit = async (monthlyLimit: number | null) => {
      const r = await owner.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit });
      expect(r.status, r.text).toBe(200);
      expect(r.body.member.monthlyLimit).toBe(monthlyLimit);
    };
    await setLimit(0.25);
    // A message costs 0.1: two fit in 0.25.
    for (const k of ['m-1', 'm-2']) {
      const ok = await member.api.post('/api/messages', { to: 'x', body: 'hello' }, { ...as, 'idempotency-key': k });
      expect(ok.status, ok.text).toBe(201);
    }
    expect((await owner.api.get(`/api/orgs/${org.id}/members`)).body.items.find((m) => m.userId === member.user.id)).toMatchObject({
      monthlyLimit: 0.25,
      usedThisMonth: 0.2,
    });
    const before = await state(org.id, member.user.id);
    expect(before.usedMc).toBe(200);
    expect(before.balanceMc).toBe(49_800);

    const refused = await member.api.post('/api/messages', { to: 'x', body: 'hello' }, { ...as, 'idempotency-key': 'm-3' });
    expect(refused.status, refused.text).toBe(402);
    expect(refused.error?.code).toBe('member_limit_exceeded');
    expect(refused.error?.details).toEqual({ limit: 0.25, used: 0.2, required: 0.1 });
    // A workflow run (0.75) is refused too, with its own price as `required`.
    const run = await member.api.post('/api/workflows/screen/execute', { input: {} }, { ...as, 'idempotency-key': 'w-1' });
    expect(run.status, run.text).toBe(402);
    expect(run.error?.details).toEqual({ limit: 0.25, used: 0.2, required: 0.75 });
    expect(await state(org.id, member.user.id)).toEqual(before);
    expect((await member.api.get('/api/credits/balance', as)).body.balance).toBe(49.8);
    // The member's personal account is not a fallback: untouched.
    expect((await member.api.get('/api/credits/balance')).body.balance).toBe(7);
    // The owner, who has no limit, still spends.
    expect((await owner.api.post('/api/messages', { to: 'x', body: 'o' }, { ...as, 'idempotency-key': 'o-1' })).status).toBe(201);

    // Raised to 0.3: the same message goes through (the refused key was not spent), to exactly the limit.
    await setLimit(0.3);
    const again = await member.api.post('/api/messages', { to: 'x', body: 'hello' }, { ...as, 'idempotency-key': 'm-3' });
    expect(again.status, again.text).toBe(201);
    expect(again.body.credits.charged).toBe(0.1);
    const at = await state(org.id, member.user.id);
    expect(at.usedMc).toBe(300);
    expect(at.ledgerRows).toBe(before.ledgerRows + 2);
    const next = await member.api.post('/api/messages', { to: 'x', body: 'hello' }, { ...as, 'idempotency-key': 'm-4' });
    expect(next.status).toBe(402);
    expect(next.error?.details).toEqual({ limit: 0.3, used: 0.3, required: 0.1 });
    // No limit at all: the workflow runs.
    await setLimit(null);
    const free = await member.api.post('/api/workflows/screen/execute', { input: {} }, { ...as, 'idempotency-key': 'w-1' });
    expect(free.status, free.text).toBe(201);
    expect((await state(org.id, member.user.id)).usedMc).toBe(1050);
    expect((await member.api.get('/api/credits/balance')).body.balance).toBe(7);
    const report = await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey);
    expect(report.violations).toEqual([]);
  });

  it("a call refused by the member's limit says what a call needs at least (its start and a minute) and what was spent before it", async () => {
    const { owner, member, org, as } = await team(`limits-call-${dialect}`);
    const setLimit = async (monthlyLimit: number) =>
      expect((await owner.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit })).status).toBe(200);
    await setLimit(1.2);
    // The estimate counts the member's limit as a charge would (until 6 December it said allowed).
    const estimate = (quantity: number) =>
      member.api.post('/api/credits/estimate', { operation: 'workflow', unit: 'per_execution', quantity }, as);
    expect((await estimate(1)).body).toEqual({ cost: 0.75, available: 50, allowed: true });
    expect((await estimate(2)).body).toEqual({ cost: 1.5, available: 50, allowed: false });
    expect(
      (await owner.api.post('/api/credits/estimate', { operation: 'workflow', unit: 'per_execution', quantity: 2 }, as)).body.allowed,
    ).toBe(true);
    const before = await state(org.id, member.user.id);
    const call = { phoneNumber: '+15551234567' };
    const refused = await member.api.post('/api/vapi/calls', call, as);
    expect(refused.status, refused.text).toBe(402);
    expect(refused.error?.code).toBe('member_limit_exceeded');
    // Until 6 December: used 1 (the start's charge, never made) and required 5 (the whole 600 s hold).
    expect(refused.error?.details).toEqual({ limit: 1.2, used: 0, required: 1.5 });
    expect(await state(org.id, member.user.id)).toEqual(before);
    // 1.6 allows the start and 72 s; then nothing is left for another call.
    await setLimit(1.6);
    const ok = await member.api.post('/api/vapi/calls', call, as);
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.call.maxDurationSeconds).toBe(72);
    const full = await member.api.post('/api/vapi/calls', call, as);
    expect(full.status).toBe(402);
    expect(full.error?.details).toEqual({ limit: 1.6, used: 1.6, required: 1.5 });
  });

  it('402 member_limit_exceeded on the service API with the organisation as customer and the user as member, nothing charged', async () => {
    const ext = `limits-b-${dialect}`;
    const { owner, member, org } = await team(ext);
    expect((await owner.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit: 0.15 })).status).toBe(200);
    const svc = (k: string) => ({ 'x-service-key': KEY, 'idempotency-key': k });
    const usage = { customer: ext, member: member.user.id, operation: 'message', unit: 'per_message', quantity: 1 };
    const ok = await s.api.post('/api/v1/usage', usage, svc('s-1'));
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.credits.charged).toBe(0.1);
    const before = await state(org.id, member.user.id);
    expect(before.usedMc).toBe(100);
    const refused = await s.api.post('/api/v1/usage', usage, svc('s-2'));
    expect(refused.status, refused.text).toBe(402);
    expect(refused.error?.code).toBe('member_limit_exceeded');
    expect(refused.error?.details).toEqual({ limit: 0.15, used: 0.1, required: 0.1 });
    // In a batch: that event alone is refused, with the same code.
    const batch = await s.api.post(
      '/api/v1/usage/batch',
      { events: [{ id: `ev-${dialect}`, customer: ext, member: member.user.id, operation: 'message', unit: 'per_message', quantity: 1 }] },
      { 'x-service-key': KEY },
    );
    expect(batch.status, batch.text).toBe(200);
    expect(batch.body.results[0]).toMatchObject({ status: 'insufficient_credits', error: { code: 'member_limit_exceeded' } });
    // Its X-Account twin on the dashboard's route is refused alike.
    const web = await member.api.post('/api/messages', { to: 'x', body: 'y' }, { 'x-account': org.id, 'idempotency-key': 'w-1' });
    expect(web.status).toBe(402);
    expect(await state(org.id, member.user.id)).toEqual(before);

    expect((await owner.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit: 0.2 })).status).toBe(200);
    const through = await s.api.post('/api/v1/usage', usage, svc('s-2'));
    expect(through.status, through.text).toBe(201);
    expect((await state(org.id, member.user.id)).usedMc).toBe(200);
    const report = await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey);
    expect(report.violations).toEqual([]);
  });
});
