/**
 * Organisation members' monthly limits through the ledger's writer, on both databases: the
 * member recorded on the ledger and usage rows and holds, member_month_usage kept in the
 * charge's transaction, a charge past the limit refused with nothing written, holds counted
 * from when they reserve, members racing past their limits and past the balance (neither is
 * ever exceeded), member.limit_reached once per crossing with its alerts, and verify clean
 * (it checks member_month_usage against the usage rows, and the member is in the row hash).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors.js';
import { resolveServiceMember } from '../../src/core/customers/resolve-member.js';
import { monthOf } from '../../src/core/ledger/decide-members.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { getUsage, usageRange } from '../../src/core/usage/get-usage.js';
import { usageByMember } from '../../src/core/usage/usage-by-member.js';
import { toTransaction, toTransactionCsv } from '../../src/server/presenters.js';
import { activeDialects, createTestCore, type TestCore, testLedgerKey } from '../support/db.js';
import { makeUser, testUsage } from '../support/factories.js';
import { makeOrg } from '../support/orgs.js';

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe.each(await activeDialects())('members’ monthly limits in the ledger (%s)', (dialect) => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore(dialect);
  });
  afterAll(async () => {
    await core?.dispose();
  });
  const db = () => core.database.db;
  const used = async (org: string, member: string) =>
    (
      await db()
        .selectFrom('member_month_usage')
        .select('used_mc')
        .where('account_id', '=', org)
        .where('user_id', '=', member)
        .where('month', '=', monthOf(Date.now()))
        .executeTakeFirst()
    )?.used_mc ?? 0;
  const spend = (org: string, member: string, mc: number) =>
    core.ledger.debit(org, mc, 'usage', { usage: testUsage(mc), memberId: member });

  it('records the member on the ledger and usage rows, adds to their month, and refuses past the limit with nothing written', async () => {
    const owner = await makeUser(core);
    const m = await makeUser(core);
    const org = await makeOrg(db(), [
      { userId: owner.id, role: 'owner' },
      { userId: m.id, limitMc: 5_000 },
    ]);
    await core.ledger.grant(org, 100_000, 'purchase');
    const a = await spend(org, m.id, 3_000);
    const tx = await db().selectFrom('credit_transactions').selectAll().where('id', '=', a.transactionId).executeTakeFirstOrThrow();
    expect(tx.member_id).toBe(m.id);
    const u = await db().selectFrom('usage_tracking').selectAll().where('transaction_id', '=', a.transactionId).executeTakeFirstOrThrow();
    expect(u.member_id).toBe(m.id);
    expect(await used(org, m.id)).toBe(3_000);

    const rowsBefore = await db().selectFrom('credit_transactions').select('id').where('user_id', '=', org).execute();
    const e = await refusal(spend(org, m.id, 2_001));
    expect(e.code).toBe('member_limit_exceeded');
    expect(e.details).toEqual({ limitMc: 5_000, usedMc: 3_000, requiredMc: 2_001 });
    expect(await db().selectFrom('credit_transactions').select('id').where('user_id', '=', org).execute()).toHaveLength(rowsBefore.length);
    expect(await used(org, m.id)).toBe(3_000);
    // Up to the limit exactly; the owner (no limit) is not limited by the member's.
    await spend(org, m.id, 2_000);
    await spend(org, owner.id, 50_000);
    // A user who is not a member spends nothing of it.
    const stranger = await makeUser(core);
    expect((await refusal(spend(org, stranger.id, 1))).code).toBe('not_found');
    expect((await core.ledger.balance(org)).balanceMc).toBe(45_000);
    expect((await verifyLedger(db(), testLedgerKey)).violations).toEqual([]);
  });

  it('a hold counts from when it reserves; its capture counts what it charged, its release nothing', async () => {
    const m = await makeUser(core);
    const org = await makeOrg(db(), [{ userId: m.id, limitMc: 10_000 }]);
    await core.ledger.grant(org, 100_000, 'purchase');
    const h = await core.ledger.reserve(org, 6_000, Date.now() + 60_000, { memberId: m.id });
    expect(
      (
        await db()
          .selectFrom('reservations')
          .select('member_id')
          .where('id', '=', h.reservationId as string)
          .executeTakeFirstOrThrow()
      ).member_id,
    ).toBe(m.id);
    expect((await refusal(spend(org, m.id, 4_001))).code).toBe('member_limit_exceeded');
    await core.ledger.capture(h.reservationId as string, 2_500, { usage: testUsage(2_500) });
    expect(await used(org, m.id)).toBe(2_500);
    const h2 = await core.ledger.reserve(org, 7_500, Date.now() + 60_000, { memberId: m.id });
    expect((await refusal(spend(org, m.id, 1))).code).toBe('member_limit_exceeded');
    await core.ledger.release(h2.reservationId as string);
    await spend(org, m.id, 7_500);
    expect(await used(org, m.id)).toBe(10_000);
    const rows = await db()
      .selectFrom('credit_transactions')
      .select(['type', 'member_id'])
      .where('user_id', '=', org)
      .orderBy('seq')
      .execute();
    expect(rows.filter((r) => r.type !== 'purchase').every((r) => r.member_id === m.id)).toBe(true);
    expect((await verifyLedger(db(), testLedgerKey)).violations).toEqual([]);
  });

  it('two members racing past their limits and past the balance: neither is exceeded', async () => {
    const a = await makeUser(core);
    const b = await makeUser(core);
    const org = await makeOrg(db(), [
      { userId: a.id, limitMc: 30_000 },
      { userId: b.id, limitMc: 50_000 },
    ]);
    await core.ledger.grant(org, 60_000, 'purchase');
    const tries = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a.id : b.id));
    const results = await Promise.allSettled(tries.map((who) => spend(org, who, 1_000)));
    const ok = { [a.id]: 0, [b.id]: 0 } as Record<string, number>;
    const codes = new Set<string>();
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') ok[tries[i] as string] = (ok[tries[i] as string] ?? 0) + 1;
      else codes.add((r.reason as DomainError).code);
    });
    expect(ok[a.id]).toBeLessThanOrEqual(30);
    expect(ok[b.id]).toBeLessThanOrEqual(50);
    expect((ok[a.id] ?? 0) + (ok[b.id] ?? 0)).toBe(60);
    expect([...codes].every((c) => c === 'member_limit_exceeded' || c === 'insufficient_credits')).toBe(true);
    expect(await used(org, a.id)).toBe((ok[a.id] ?? 0) * 1_000);
    expect(await used(org, b.id)).toBe((ok[b.id] ?? 0) * 1_000);
    expect((await core.ledger.balance(org)).balanceMc).toBe(0);
    expect((await verifyLedger(db(), testLedgerKey)).violations).toEqual([]);
  });

  it('member.limit_reached once per crossing, with an alert to the member and to each owner', async () => {
    const owner = await makeUser(core);
    const m = await makeUser(core);
    const org = await makeOrg(
      db(),
      [
        { userId: owner.id, role: 'owner' },
        { userId: m.id, limitMc: 3_000 },
      ],
      'Limit Test Ltd',
    );
    await core.ledger.grant(org, 100_000, 'purchase');
    const events = () =>
      db().selectFrom('events').select(['data']).where('type', '=', 'member.limit_reached').where('account_id', '=', org).execute();
    await spend(org, m.id, 2_000);
    expect(await events()).toEqual([]);
    // Refused below the limit: the limit is reached for what the member wanted.
    await refusal(spend(org, m.id, 1_500));
    await refusal(spend(org, m.id, 1_200));
    await spend(org, m.id, 1_000);
    await refusal(spend(org, m.id, 1));
    const raised = await events();
    expect(raised.map((e) => JSON.parse(e.data))).toEqual([
      { accountId: org, memberId: m.id, month: monthOf(Date.now()), limit: 3, used: 2 },
    ]);
    const alerts = await db()
      .selectFrom('credit_alerts')
      .select(['user_id', 'message'])
      .where('type', '=', 'member_limit_reached')
      .execute();
    const mine = alerts.filter((x) => x.user_id === m.id || x.user_id === owner.id);
    expect(mine.map((x) => x.user_id).sort()).toEqual([m.id, owner.id].sort());
    expect(mine.find((x) => x.user_id === m.id)?.message).toContain('Limit Test Ltd');
    // A raised limit reached again is a new crossing.
    await db()
      .updateTable('account_members')
      .set({ monthly_limit_mc: 4_000 })
      .where('account_id', '=', org)
      .where('user_id', '=', m.id)
      .execute();
    await spend(org, m.id, 1_000);
    expect(await events()).toHaveLength(2);
  });

  it('a compound op (a call: charge and hold) is its member’s, and refused whole past the limit', async () => {
    const m = await makeUser(core);
    const org = await makeOrg(db(), [{ userId: m.id, limitMc: 2_000 }]);
    await core.ledger.grant(org, 100_000, 'purchase');
    const call = (id: string) =>
      core.writer.submit({
        kind: 'compound',
        userId: org,
        memberId: m.id,
        steps: [
          { kind: 'debit', userId: org, amountMc: 1_000, type: 'usage', usage: testUsage(1_000) },
          { kind: 'reserve', userId: org, reservationId: id, amountMc: 500, expiresAt: Date.now() + 60_000 },
        ],
      });
    await call('call-hold-1');
    expect((await refusal(call('call-hold-2'))).code).toBe('member_limit_exceeded');
    expect(await used(org, m.id)).toBe(1_000);
    expect(
      (await db().selectFrom('reservations').select('member_id').where('id', '=', 'call-hold-1').executeTakeFirstOrThrow()).member_id,
    ).toBe(m.id);
    expect((await verifyLedger(db(), testLedgerKey)).violations).toEqual([]);
  });

  it('usage by member adds up to the report’s total, a reversal taking its operation back; a personal account has no members (400)', async () => {
    const a = await makeUser(core);
    const b = await makeUser(core);
    const org = await makeOrg(db(), [{ userId: a.id }, { userId: b.id }]);
    await core.ledger.grant(org, 100_000, 'purchase');
    await spend(org, a.id, 1_000);
    await spend(org, a.id, 2_500);
    const undone = await spend(org, b.id, 4_000);
    await spend(org, b.id, 500);
    await core.ledger.reverseUsage(org, undone.usageId as string);
    await core.ledger.debit(org, 250, 'usage', { usage: testUsage(250) });
    const range = usageRange(Date.now(), { granularity: 'day' });
    const byMember = await usageByMember(db(), org, range);
    const names = new Map([
      [a.id, a.name],
      [b.id, b.name],
    ]);
    expect(byMember).toEqual([
      { memberId: a.id, name: names.get(a.id), mc: 3_500, operations: 2 },
      { memberId: b.id, name: names.get(b.id), mc: 500, operations: 1 },
      { memberId: null, name: null, mc: 250, operations: 1 },
    ]);
    const report = await getUsage(db(), org, range);
    expect(byMember.reduce((s, m) => s + m.mc, 0)).toBe(report.totalMc);
    expect(byMember.reduce((s, m) => s + m.operations, 0)).toBe(report.totalOperations);
    // A range taken in the very millisecond of the last charge still counts it: `to` defaults to just after now.
    const last = await db()
      .selectFrom('usage_tracking')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('user_id', '=', org)
      .executeTakeFirstOrThrow();
    const atLast = usageRange(Number(last.at), { granularity: 'day' });
    expect((await usageByMember(db(), org, atLast)).reduce((s, m) => s + m.mc, 0)).toBe((await getUsage(db(), org, atLast)).totalMc);
    expect((await refusal(usageByMember(db(), a.id, range))).code).toBe('validation_error');
    const rows = await db().selectFrom('credit_transactions').selectAll().where('user_id', '=', org).where('type', '=', 'usage').execute();
    expect(rows.map(toTransaction).filter((t) => t.memberId === a.id)).toHaveLength(2);
    expect(toTransactionCsv(rows.find((r) => r.member_id === b.id) as (typeof rows)[number]).at(-1)).toBe(b.id);
  });

  it('the service API’s member: by external id or user id, a member of that organisation only; on a personal customer itself or nothing', async () => {
    const m = await makeUser(core);
    const outsider = await makeUser(core);
    await db()
      .updateTable('users')
      .set({ external_id: `ext-${m.id}` })
      .where('id', '=', m.id)
      .execute();
    const org = await makeOrg(db(), [{ userId: m.id }]);
    expect(await resolveServiceMember(db(), org, 'org-ext', `ext-${m.id}`)).toBe(m.id);
    expect(await resolveServiceMember(db(), org, 'org-ext', m.id)).toBe(m.id);
    expect(await resolveServiceMember(db(), org, 'org-ext', undefined)).toBeNull();
    expect((await refusal(resolveServiceMember(db(), org, 'org-ext', outsider.id))).code).toBe('validation_error');
    expect(await resolveServiceMember(db(), m.id, `ext-${m.id}`, `ext-${m.id}`)).toBeNull();
    expect((await refusal(resolveServiceMember(db(), m.id, `ext-${m.id}`, 'someone-else'))).code).toBe('validation_error');
  });

  it('verify finds member_month_usage that disagrees with the usage rows', async () => {
    const m = await makeUser(core);
    const org = await makeOrg(db(), [{ userId: m.id, limitMc: null }]);
    await core.ledger.grant(org, 10_000, 'purchase');
    await spend(org, m.id, 1_000);
    await db().updateTable('member_month_usage').set({ used_mc: 1 }).where('account_id', '=', org).execute();
    const report = await verifyLedger(db(), testLedgerKey);
    expect(report.violations.some((v) => v.includes(`account ${org} member ${m.id}`))).toBe(true);
    await db().updateTable('member_month_usage').set({ used_mc: 1_000 }).where('account_id', '=', org).execute();
  });
});
