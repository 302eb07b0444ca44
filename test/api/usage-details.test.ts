/**
 * What a charge paid for, as the user reads it: each metered route's `usage` ledger row
 * carries the contract's metadata ({operation, unit, quantity} in the unit's base quantity,
 * plus callId and durationSeconds, fileName and bytes, workflowId), in the history and its
 * CSV; the usage report as CSV under the report's own query (both databases).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('usage details on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('says what each usage row paid for, in the history and its CSV', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 50);
    expect((await u.api.post('/api/messages', { to: '+15551234567', body: 'hello' })).status).toBe(201);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(1_572_864)]), 'resume.pdf');
    expect((await u.api.request('POST', '/api/files', { raw: form })).status).toBe(201);
    expect((await u.api.post('/api/workflows/onboarding/execute', {})).status).toBe(201);
    const call = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 });
    expect(call.status).toBe(201);
    const callId = call.body.call.id as string;
    expect((await u.api.post(`/api/vapi/calls/${callId}/end`, { durationSeconds: 90.5 })).status).toBe(200);

    const usage = (await u.api.get('/api/credits/transactions?type=usage')).body.items as { metadata: Record<string, unknown> }[];
    const byOp = (op: string, unit: string) => usage.find((t) => t.metadata?.operation === op && t.metadata?.unit === unit)?.metadata;
    expect(byOp('message', 'per_message')).toMatchObject({ operation: 'message', unit: 'per_message', quantity: 1 });
    expect(byOp('file_upload', 'per_mb')).toMatchObject({
      operation: 'file_upload',
      unit: 'per_mb',
      quantity: 1_572_864,
      fileName: 'resume.pdf',
      bytes: 1_572_864,
    });
    expect(byOp('workflow', 'per_execution')).toEqual({
      operation: 'workflow',
      unit: 'per_execution',
      quantity: 1,
      workflowId: 'onboarding',
    });
    // The start's charge is written before VAPI names the call (the row keeps the service's own
    // id); the history shows it under the id the API answered, as the minutes' row.
    expect(byOp('vapi_call', 'per_call')).toEqual({ operation: 'vapi_call', unit: 'per_call', quantity: 1, callId });
    expect(byOp('vapi_call', 'per_minute')).toEqual({
      operation: 'vapi_call',
      unit: 'per_minute',
      quantity: 90.5,
      durationSeconds: 90.5,
      callId,
    });

    const csv = (await u.api.get('/api/credits/transactions.csv?type=usage')).text;
    expect(csv).toContain('""workflowId"":""onboarding""');
    expect(csv).toContain('""fileName"":""resume.pdf""');
    expect(csv).toContain('""durationSeconds"":90.5');
  });

  it('records a super admin’s usage as a usage row of amount 0 that says what it would have cost', async () => {
    const root = await s.userWithRole('super_admin');
    expect((await root.api.post('/api/messages', { to: 'x', body: 'free' })).status).toBe(201);
    const call = await root.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 });
    expect(call.status).toBe(201);
    expect((await root.api.post(`/api/vapi/calls/${call.body.call.id}/end`, { durationSeconds: 60 })).status).toBe(200);
    const rows = (await root.api.get('/api/credits/transactions?type=usage')).body.items as {
      amount: number;
      metadata: Record<string, unknown>;
    }[];
    const of = (unit: string) => rows.find((t) => t.metadata?.unit === unit);
    expect(of('per_message')).toMatchObject({ amount: 0, metadata: { operation: 'message', quantity: 1, wouldHaveCost: 0.1 } });
    expect(of('per_minute')).toMatchObject({ amount: 0, metadata: { operation: 'vapi_call', durationSeconds: 60, wouldHaveCost: 0.5 } });
    expect((await root.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, lifetimeUsed: 0, unlimited: true });
    const report = await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey);
    expect(report.violations).toEqual([]);
  });

  it('downloads the usage report as CSV under the report’s query', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    for (let i = 0; i < 3; i++) expect((await u.api.post('/api/messages', { to: 'x', body: `m${i}` })).status).toBe(201);
    expect((await u.api.post('/api/workflows/wf-1/execute', {})).status).toBe(201);
    const day = new Date().toISOString().slice(0, 10);
    const r = await u.api.get(`/api/credits/usage.csv?from=${day}&to=${day}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/csv/);
    expect(r.headers.get('content-disposition')).toContain('usage.csv');
    const report = (await u.api.get(`/api/credits/usage?from=${day}&to=${day}`)).body;
    const lines = r.text.trim().split('\n');
    expect(lines[0]).toBe('bucket,operation,unit,operations,quantity,credits');
    expect(lines.slice(1)).toEqual([
      `${day}T00:00:00.000Z,message,per_message,3,3,0.3`,
      `${day}T00:00:00.000Z,workflow,per_execution,1,1,0.75`,
    ]);
    // The same totals as the JSON report.
    const credits = lines.slice(1).reduce((sum, l) => sum + Number(l.split(',')[5]), 0);
    expect(Math.round(credits * 1000) / 1000).toBe(report.totalCredits);
    // By hour: the same rows in the hour they happened.
    const hourly = (await u.api.get(`/api/credits/usage.csv?from=${day}&to=${day}&granularity=hour`)).text.trim().split('\n');
    expect(hourly).toHaveLength(3);
    expect(hourly[1]).toMatch(new RegExp(`^${day}T\\d\\d:00:00\\.000Z,message,per_message,3,3,0\\.3$`));
    // Another user's usage is not in it; bad input is 400; no token is 401.
    expect((await (await s.register()).api.get(`/api/credits/usage.csv?from=${day}&to=${day}`)).text.trim().split('\n')).toHaveLength(1);
    expect((await u.api.get('/api/credits/usage.csv?granularity=week')).status).toBe(400);
    expect((await u.api.get('/api/credits/usage.csv?from=2026-02-01&to=2026-01-01')).status).toBe(400);
    expect((await s.api.get('/api/credits/usage.csv')).status).toBe(401);
  });
  it('reports exactly [from, to), to the millisecond: the part-hours at its ends from the usage rows', async () => {
    const owner = await s.register();
    const org = (await owner.api.post('/api/orgs', { name: 'Edges' })).body.organization;
    const as = { 'x-account': org.id };
    await s.grant(org.id, 10);
    const at: number[] = [];
    for (let i = 0; i < 2; i++) {
      expect((await owner.api.post('/api/messages', { to: 'x', body: `edge ${i}` }, as)).status).toBe(201);
      await new Promise((r) => setTimeout(r, 5));
    }
    const rows = (await owner.api.get('/api/credits/transactions?type=usage', as)).body.items as { createdAt: string }[];
    at.push(...rows.map((t) => Date.parse(t.createdAt)).sort((x, y) => x - y));
    expect(at).toHaveLength(2);
    const [t1 = 0, t2 = 0] = at;
    const iso = (ms: number) => new Date(ms).toISOString();
    const report = async (from: number, to: number, granularity = 'day') =>
      (await owner.api.get(`/api/credits/usage?from=${iso(from)}&to=${iso(to)}&granularity=${granularity}&groupBy=member`, as)).body;
    const cases: [number, number, number][] = [
      [t1, t1 + 1, 1],
      [t1 + 1, t2, 0],
      [t1, t2, 1],
      [t1, t2 + 1, 2],
      [t2, t2 + 1, 1],
      [t1 - 3_600_000, t1, 0],
      [t1 - 3_600_000, t2 + 3_600_000, 2],
    ];
    for (const [from, to, operations] of cases) {
      for (const granularity of ['day', 'hour']) {
        const r = await report(from, to, granularity);
        const what = `${iso(from)}..${iso(to)} by ${granularity}`;
        expect(r.totalOperations, what).toBe(operations);
        expect(r.totalCredits, what).toBe(operations * 0.1);
        expect(
          r.series.reduce((n: number, b: { operations: number }) => n + b.operations, 0),
          what,
        ).toBe(operations);
        // The members add up to the report.
        const members = r.byMember as { memberId: string; credits: number }[];
        expect(
          members.map((m) => [m.memberId, m.credits]),
          what,
        ).toEqual(operations ? [[owner.user.id, operations * 0.1]] : []);
      }
      const csv = (await owner.api.get(`/api/credits/usage.csv?from=${iso(from)}&to=${iso(to)}`, as)).text.trim().split('\n');
      expect(csv.slice(1).reduce((n, l) => n + Number(l.split(',')[3]), 0)).toBe(operations);
    }
    // Admin analytics read every account the same way: this window holds only the second message.
    const admin = await s.userWithRole('admin');
    const analytics = (await admin.api.get(`/api/admin/analytics?from=${iso(t2)}&to=${iso(t2 + 1)}`)).body;
    expect(analytics.creditsUsed).toBe(0.1);
    // Its accounts too: the organisation, the one account active then, at the top.
    expect(analytics.activeUsers).toBe(1);
    expect(analytics.topAccounts).toEqual([{ accountId: org.id, name: 'Edges', creditsUsed: 0.1 }]);
    const between = (await admin.api.get(`/api/admin/analytics?from=${iso(t1 + 1)}&to=${iso(t2)}`)).body;
    expect([between.creditsUsed, between.activeUsers, between.topAccounts]).toEqual([0, 0, []]);
    const both = (await admin.api.get(`/api/admin/analytics?from=${iso(t1)}&to=${iso(t2 + 1)}`)).body;
    expect(both.topAccounts).toEqual([{ accountId: org.id, name: 'Edges', creditsUsed: 0.2 }]);
  });
});
