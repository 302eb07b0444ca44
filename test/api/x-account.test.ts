/**
 * `X-Account` on both databases: an organisation's owner buys credits for it, a member sees
 * its balance and spends from it (the personal balances untouched), a member may not buy,
 * change settings or see payments (403), an outsider gets 404 on every account route and
 * nothing moves, and a removed member's next request is 404 at once, on a second instance
 * of the same database too. A plain member sees and ends only the VAPI calls they started
 * (another's is 404), an owner or admin every call of the organisation. `credits verify` is
 * clean after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { ACCOUNT_ROUTES } from '../../src/server/plugins/account.js';
import { activeDialects } from '../support/db.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('X-Account on %s', (dialect) => {
  let s: TestServer;
  let s2: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    s2 = await startTestServer(dialect, {}, s);
  });
  afterAll(async () => {
    await s2?.stop();
    await s?.stop();
  });

  async function team() {
    const owner = await s.register({ name: 'Owner' });
    const org = (await owner.api.post('/api/orgs', { name: 'Team' })).body.organization as { id: string };
    const member = await s.register({ name: 'Member' });
    const inv = await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: member.user.email, role: 'member' });
    expect((await member.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    return { owner, member, org, as: { 'x-account': org.id } };
  }
  const balanceOf = async (api: Client, headers?: Record<string, string>) => (await api.get('/api/credits/balance', headers)).body.balance;

  it('every route of ACCOUNT_ROUTES exists and documents X-Account', async () => {
    const doc = (await s.api.get('/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    for (const route of ACCOUNT_ROUTES) {
      const [method = '', path = ''] = route.split(' ');
      const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(op, route).toBeDefined();
      expect(
        op?.parameters?.map((p) => p.name),
        route,
      ).toContain('X-Account');
    }
  });

  it('the owner buys for the organisation; a member sees and spends its balance; personal balances stay apart', async () => {
    const { owner, member, org, as } = await team();
    await s.grant(member.user.id, 5);
    const bought = await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { ...as, 'idempotency-key': 'buy-1' });
    expect(bought.status).toBe(201);
    const orgBalance = await balanceOf(owner.api, as);
    expect(orgBalance).toBeGreaterThan(0);
    expect(await balanceOf(owner.api)).toBe(0);
    expect(await balanceOf(member.api, as)).toBe(orgBalance);

    const sent = await member.api.post('/api/messages', { to: 'x', body: 'hello' }, { ...as, 'idempotency-key': 'm-1' });
    expect(sent.status).toBe(201);
    expect(sent.body.credits.balance).toBeLessThan(orgBalance);
    expect(await balanceOf(owner.api, as)).toBe(sent.body.credits.balance);
    // The same key on the personal account is another operation, charged there.
    const personal = await member.api.post('/api/messages', { to: 'x', body: 'hello' }, { 'idempotency-key': 'm-1' });
    expect(personal.status).toBe(201);
    expect(personal.headers.get('idempotent-replayed')).toBeNull();
    expect(await balanceOf(member.api)).toBe(personal.body.credits.balance);
    expect(personal.body.credits.balance).toBeLessThan(5);
    // The organisation's history shows its purchase and the member's charge; the member's own, their grant and charge only.
    const rows = (await member.api.get('/api/credits/transactions', as)).body.items.map((t: { type: string }) => t.type);
    expect(rows.filter((t: string) => t === 'usage')).toHaveLength(1);
    expect(rows).toContain('purchase');
    expect((await member.api.get('/api/credits/transactions')).body.items).toHaveLength(2);
    // Any member reads the settings and usage; the payments are the managers'.
    expect((await member.api.get('/api/credits/settings', as)).status).toBe(200);
    expect((await member.api.get('/api/credits/usage', as)).status).toBe(200);
    expect((await owner.api.get('/api/credits/payments', as)).body.items).toHaveLength(1);
    const db = s.running.core.database.db;
    expect(
      Number((await db.selectFrom('user_credits').select('balance_mc').where('user_id', '=', org.id).executeTakeFirstOrThrow()).balance_mc),
    ).toBe(Math.round(sent.body.credits.balance * 1000));
    expect((await verifyLedger(db, s.running.core.ledgerKey)).violations).toEqual([]);
  });

  it("the organisation's payments say which owner or admin bought each; a personal payment, its user", async () => {
    const { owner, org, as } = await team();
    const admin = await s.register({ name: 'Ada Admin' });
    const inv = await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: admin.user.email, role: 'admin' });
    expect((await admin.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    expect((await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, as)).status).toBe(201);
    expect((await admin.api.post('/api/credits/purchase', { packageId: 'pkg_professional' }, as)).status).toBe(201);
    expect((await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(201);

    // Both managers see the same list, newest first, each row naming its buyer.
    for (const api of [owner.api, admin.api]) {
      const page = await api.get('/api/credits/payments', as);
      expect(page.status).toBe(200);
      expect(page.body.items.map((p: { packageId: string; boughtBy: unknown }) => [p.packageId, p.boughtBy])).toEqual([
        ['pkg_professional', { userId: admin.user.id, email: admin.user.email, name: 'Ada Admin' }],
        ['pkg_starter', { userId: owner.user.id, email: owner.user.email, name: 'Owner' }],
      ]);
    }
    // Paging keeps the buyer.
    const first = await owner.api.get('/api/credits/payments?limit=1', as);
    const second = await owner.api.get(`/api/credits/payments?limit=1&cursor=${first.body.nextCursor}`, as);
    expect(second.body.items[0]?.boughtBy?.userId).toBe(owner.user.id);
    expect(second.body.nextCursor).toBeNull();
    // The owner's own payment is theirs; the admin, who bought nothing personally, has none.
    const mine = (await owner.api.get('/api/credits/payments')).body.items;
    expect(mine).toHaveLength(1);
    expect(mine[0]?.boughtBy).toEqual({ userId: owner.user.id, email: owner.user.email, name: 'Owner' });
    expect((await admin.api.get('/api/credits/payments')).body.items).toEqual([]);
    // Each purchase's rows (package and bonus) name the member who bought, as every row of an
    // organisation names who caused it; a personal purchase names none.
    type Tx = { type: string; memberId: string | null; amount: number };
    const orgRows = (await owner.api.get('/api/credits/transactions', as)).body.items as Tx[];
    expect(orgRows.map((t) => [t.type, t.amount, t.memberId])).toEqual([
      ['bonus', 50, admin.user.id],
      ['purchase', 500, admin.user.id],
      ['purchase', 100, owner.user.id],
    ]);
    const personal = (await owner.api.get('/api/credits/transactions')).body.items as Tx[];
    expect(personal.filter((t) => t.type === 'purchase').map((t) => t.memberId)).toEqual([null]);
  });

  it('a member may not buy, change settings, redeem or see payments (403); nothing is written', async () => {
    const { owner, member, org, as } = await team();
    const db = s.running.core.database.db;
    const count = async () =>
      Number(
        (
          await db
            .selectFrom('stripe_payments')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('user_id', '=', org.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const buy = await member.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { ...as, 'idempotency-key': 'b-1' });
    expect(buy.status).toBe(403);
    expect(buy.error?.code).toBe('forbidden');
    expect(await count()).toBe(0);
    expect((await member.api.request('PUT', '/api/credits/settings', { body: { lowBalanceThreshold: 1 }, headers: as })).status).toBe(403);
    expect((await member.api.get('/api/credits/payments', as)).status).toBe(403);
    expect((await member.api.post('/api/credits/redeem', { code: 'NOPE1' }, as)).status).toBe(403);
    // The owner may change them.
    const put = await owner.api.request('PUT', '/api/credits/settings', { body: { lowBalanceThreshold: 3 }, headers: as });
    expect(put.status).toBe(200);
    expect(put.body.lowBalanceThreshold).toBe(3);
    expect((await member.api.get('/api/credits/settings')).body.lowBalanceThreshold).not.toBe(3);
  });

  it('an outsider gets 404 on every account route with the organisation, and nothing moves', async () => {
    const { owner, as } = await team();
    await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { ...as, 'idempotency-key': 'buy-o' });
    const before = await balanceOf(owner.api, as);
    const eve = await s.register();
    await s.grant(eve.user.id, 5);
    const tries = [
      await eve.api.get('/api/credits/balance', as),
      await eve.api.get('/api/credits/transactions', as),
      await eve.api.get('/api/credits/transactions.csv', as),
      await eve.api.get('/api/credits/usage', as),
      await eve.api.get('/api/credits/grants', as),
      await eve.api.get('/api/credits/alerts', as),
      await eve.api.get('/api/credits/settings', as),
      await eve.api.get('/api/credits/holds', as),
      await eve.api.get('/api/credits/payments', as),
      await eve.api.get('/api/credits/stream', as),
      await eve.api.post('/api/credits/estimate', { operation: 'message', unit: 'per_message', quantity: 1 }, as),
      await eve.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { ...as, 'idempotency-key': 'e-1' }),
      await eve.api.post('/api/messages', { to: 'x', body: 'y' }, { ...as, 'idempotency-key': 'e-2' }),
      await eve.api.post('/api/workflows/screen/execute', {}, { ...as, 'idempotency-key': 'e-3' }),
      await eve.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' }, { ...as, 'idempotency-key': 'e-4' }),
      await eve.api.get('/api/vapi/calls', as),
      // Another user's personal account is no better.
      await eve.api.get('/api/credits/balance', { 'x-account': owner.user.id }),
      await eve.api.get('/api/credits/balance', { 'x-account': 'no-such-account' }),
    ];
    expect(tries.map((r) => r.status)).toEqual(tries.map(() => 404));
    expect(await balanceOf(owner.api, as)).toBe(before);
    expect(await balanceOf(eve.api)).toBe(5);
  });

  it('without an Idempotency-Key, a charge the writer checks (messages, workflows) refuses an outsider as the request-time check does', async () => {
    // WRITER_CHECKED_ROUTES: the membership is read in the charge's transaction, not at the request.
    const { owner, member, as } = await team();
    const broke = await team();
    await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { ...as, 'idempotency-key': 'buy-w' });
    const before = await balanceOf(owner.api, as);
    const eve = await s.register();
    await s.grant(eve.user.id, 5);
    const named = [as, broke.as, { 'x-account': owner.user.id }, { 'x-account': 'no-such-account' }];
    const tries = [];
    for (const headers of named) {
      tries.push(await eve.api.post('/api/messages', { to: 'x', body: 'y' }, headers));
      tries.push(await eve.api.post('/api/workflows/screen/execute', {}, headers));
    }
    // The same answer whether the account exists, has credits (an empty one is not 402) or is someone's personal one.
    expect(tries.map((r) => [r.status, r.error?.message])).toEqual(
      tries.map(() => [404, 'No account of yours has the id in X-Account: it does not exist, or you are no longer a member of it.']),
    );
    expect(await balanceOf(owner.api, as)).toBe(before);
    expect(await balanceOf(eve.api)).toBe(5);
    // A member's keyless charge is from the organisation's balance, recorded as theirs.
    const sent = await member.api.post('/api/messages', { to: 'x', body: 'y' }, as);
    expect(sent.status).toBe(201);
    expect(sent.body.credits.charged).toBeGreaterThan(0);
    expect(await balanceOf(owner.api, as)).toBe(before - sent.body.credits.charged);
    const tx = (await owner.api.get('/api/credits/transactions', as)).body;
    expect(JSON.stringify(tx)).toContain(member.user.id);
    // A member of an empty organisation is told it is short (402), not that it does not exist.
    const short = await broke.member.api.post('/api/workflows/screen/execute', {}, broke.as);
    expect(short.status).toBe(402);
  });

  it("on an organisation a plain member sees and ends only the calls they started (another's is 404); an owner or admin, every call", async () => {
    const { owner, member, org, as } = await team();
    const join = async (role: 'admin' | 'member') => {
      const u = await s.register();
      const inv = await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: u.user.email, role });
      expect((await u.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
      return u;
    };
    const admin = await join('admin');
    const other = await join('member');
    expect(
      (await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { ...as, 'idempotency-key': 'buy-calls' })).status,
    ).toBe(201);
    const start = async (who: { api: Client }, phoneNumber: string) => {
      const r = await who.api.post('/api/vapi/calls', { phoneNumber, maxDurationSeconds: 120 }, as);
      expect(r.status, r.text).toBe(201);
      return r.body.call.id as string;
    };
    const mine = await start(member, '+15550000001');
    const theirs = await start(other, '+15550000002');
    const owners = await start(owner, '+15550000003');
    const listed = async (who: { api: Client }, open = false) =>
      (open ? await who.api.get('/api/vapi/calls?status=open', as) : await who.api.get('/api/vapi/calls', as)).body.items
        .map((c) => [c.id, c.phoneNumber])
        .sort();
    // A plain member: their own calls only, phone numbers included; the open ones too.
    expect(await listed(member)).toEqual([[mine, '+15550000001']]);
    expect(await listed(other, true)).toEqual([[theirs, '+15550000002']]);
    // The owner and an admin: every call of the organisation.
    const every = [
      [mine, '+15550000001'],
      [theirs, '+15550000002'],
      [owners, '+15550000003'],
    ].sort();
    expect(await listed(owner)).toEqual(every);
    expect(await listed(admin, true)).toEqual(every);

    // Another member's call, or the owner's, is 404 to a plain member: nothing is settled or charged.
    const minutesOf = (callId: string) =>
      s.running.core.database.db
        .selectFrom('usage_tracking')
        .select(['member_id', 'quantity_milli'])
        .where('unit', '=', 'per_minute')
        .where('metadata', '=', JSON.stringify({ callId }))
        .execute();
    const before = await balanceOf(owner.api, as);
    for (const id of [theirs, owners]) {
      const refused = await member.api.post(`/api/vapi/calls/${id}/end`, { durationSeconds: 100 }, as);
      expect(refused.status, id).toBe(404);
      expect(refused.error?.code).toBe('not_found');
    }
    expect(await balanceOf(owner.api, as)).toBe(before);
    expect(await minutesOf(theirs)).toEqual([]);
    expect((await owner.api.get('/api/vapi/calls?status=open', as)).body.items).toHaveLength(3);
    // Their own they end; an admin ends another member's, charged as the member who started it.
    expect((await member.api.post(`/api/vapi/calls/${mine}/end`, { durationSeconds: 30 }, as)).body).toMatchObject({ settled: true });
    const byAdmin = await admin.api.post(`/api/vapi/calls/${theirs}/end`, { durationSeconds: 60 }, as);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toMatchObject({ settled: true, call: { id: theirs, status: 'ended', durationSeconds: 60 } });
    expect(await minutesOf(theirs)).toEqual([{ member_id: other.user.id, quantity_milli: 60_000 }]);
    expect((await owner.api.post(`/api/vapi/calls/${owners}/end`, {}, as)).status).toBe(200);
  });

  it('a removed member is refused at their next request, on every instance', async () => {
    const { owner, member, org, as } = await team();
    const on2 = member.api.withToken(member.token);
    const second = new (on2.constructor as typeof Client)(s2.url, member.token);
    expect((await second.get('/api/credits/balance', as)).status).toBe(200);
    await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { ...as, 'idempotency-key': 'buy-r' });
    expect((await second.post('/api/messages', { to: 'x', body: 'y' }, { ...as, 'idempotency-key': 'while-member' })).status).toBe(201);
    expect((await owner.api.request('DELETE', `/api/orgs/${org.id}/members/${member.user.id}`)).status).toBe(200);
    expect((await member.api.get('/api/credits/balance', as)).status).toBe(404);
    expect((await second.get('/api/credits/balance', as)).status).toBe(404);
    expect((await second.post('/api/messages', { to: 'x', body: 'y' }, { ...as, 'idempotency-key': 'gone' })).status).toBe(404);
    // Without a key too (the membership is then read by the writer, in the charge's transaction), on both instances.
    expect((await second.post('/api/messages', { to: 'x', body: 'y' }, as)).status).toBe(404);
    expect((await member.api.post('/api/workflows/screen/execute', {}, as)).status).toBe(404);
    // A key they used while a member is not replayed to them once removed.
    expect((await second.post('/api/messages', { to: 'x', body: 'y' }, { ...as, 'idempotency-key': 'while-member' })).status).toBe(404);
    // Their personal account works as before.
    expect((await second.get('/api/credits/balance')).status).toBe(200);
  });
});
