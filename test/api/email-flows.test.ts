/**
 * Email verification and password reset through a local SMTP server (smtp-server):
 * - with REQUIRE_EMAIL_VERIFICATION, registration answers the same for a new and a taken
 *   address, the sign-up bonus waits for the verified address (registering in a loop
 *   farms nothing), and sign-in needs the verification;
 * - "Forgot password?" answers the same for any address; the reset link works once, for a
 *   short time, and only its hash is stored.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/core/accounts/auth-tokens.js';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type TestServer, startTestServer, having } from '../support/server.js';
import { type LocalSmtp, linkToken, startSmtp } from '../support/smtp.js';

const NEW_PASSWORD = 'violet-harbour-Quartz-58';

describe.each(await activeDialects())('email verification and password reset on %s', (dialect) => {
  let smtp: LocalSmtp;
  let v: TestServer; // REQUIRE_EMAIL_VERIFICATION
  let r: TestServer; // mail, no verification
  beforeAll(async () => {
    smtp = await startSmtp();
    const mail = {
      SMTP_URL: smtp.url,
      ALERTS_EMAIL_FROM: 'Credits <credits@example.com>',
      SIGNUP_BONUS_CREDITS: '25',
      AUTH_RATE_LIMIT: '100000',
    };
    v = await startTestServer(dialect, { ...mail, REQUIRE_EMAIL_VERIFICATION: 'true', PUBLIC_URL: 'https://billing.example.com/' });
    // Production's password policy, which a reset below is refused by.
    r = await startTestServer(dialect, { ...mail, PASSWORD_MIN_SCORE: '3' });
  });
  afterAll(async () => {
    await v?.stop();
    await r?.stop();
    await smtp?.close();
  });

  const bonusRows = async (s: TestServer, email: string) => {
    const rows = await s.running.core.database.db
      .selectFrom('credit_transactions as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select('t.amount_mc')
      .where('u.email', '=', email)
      .where('t.type', '=', 'signup_bonus')
      .execute();
    return rows.map((x) => Number(x.amount_mc));
  };

  it('answers registration alike for new and taken addresses and grants the bonus only to a verified one', async () => {
    const email = `verify-${Date.now()}@example.com`;
    const body = { email, password: TEST_PASSWORD, name: 'Vera' };
    const first = await v.api.post('/api/auth/register', body);
    expect(first.status).toBe(202);
    expect(having(first.body, 'status').status).toBe('verification_sent');
    expect(first.body).not.toHaveProperty('token');
    const again = await v.api.post('/api/auth/register', { ...body, password: 'another-Lantern-orbit-4' });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);

    // No bonus and no sign-in yet; a wrong password says nothing about verification.
    expect(await bonusRows(v, email)).toEqual([]);
    const early = await v.api.post('/api/auth/login', { email, password: TEST_PASSWORD });
    expect(early.status).toBe(403);
    expect(early.error?.code).toBe('email_not_verified');
    expect((await v.api.post('/api/auth/login', { email, password: 'wrong-Lantern-orbit' })).status).toBe(401);

    // Two links came (one per registration), pointing at PUBLIC_URL; only hashes are stored.
    const mail = await smtp.waitFor(email, /Verify your email/);
    expect(mail.text).toContain('https://billing.example.com/verify-email#token=');
    const second = await smtp.waitFor(email, /Verify your email/, 1);
    const token = linkToken(mail, 'verify-email');
    const stored = await v.running.core.database.db.selectFrom('auth_tokens').select(['token_hash']).execute();
    expect(stored.map((t) => t.token_hash)).toContain(hashToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);

    const verified = await v.api.post('/api/auth/verify-email', { token });
    expect(verified.status).toBe(200);
    expect(verified.body.user.email).toBe(email);
    const balance = await v.api.withToken(verified.body.token).get('/api/credits/balance');
    expect(balance.body.balance).toBe(25);
    expect(await bonusRows(v, email)).toEqual([25_000]);

    // Single use, and the other link died with it; no second bonus.
    const reused = await v.api.post('/api/auth/verify-email', { token });
    expect(reused.status).toBe(400);
    expect(reused.error?.details?.fields[0].path).toBe('body.token');
    expect((await v.api.post('/api/auth/verify-email', { token: linkToken(second, 'verify-email') })).status).toBe(400);
    expect(await bonusRows(v, email)).toEqual([25_000]);
    expect((await v.api.post('/api/auth/login', { email, password: TEST_PASSWORD })).status).toBe(200);

    // Registering a verified address again: the same answer; its owner is told, with a reset link.
    const taken = await v.api.post('/api/auth/register', body);
    expect(taken.status).toBe(202);
    expect(taken.body).toEqual(first.body);
    const notice = await smtp.waitFor(email, /already have an account/);
    expect(notice.text).toContain('/reset-password#token=');
  });

  it('uses a link once however many requests race with it: one verification, one bonus', async () => {
    const email = `race-${Date.now()}@example.com`;
    await v.api.post('/api/auth/register', { email, password: TEST_PASSWORD, name: 'Race' });
    const token = linkToken(await smtp.waitFor(email, /Verify/), 'verify-email');
    const answers = await Promise.all(Array.from({ length: 10 }, () => v.api.post('/api/auth/verify-email', { token })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(9);
    expect(await bonusRows(v, email)).toEqual([25_000]);
  });

  it('farms nothing by registering in a loop without verifying', async () => {
    const emails = Array.from({ length: 5 }, (_, i) => `farm-${Date.now()}-${i}@example.com`);
    for (const email of emails)
      expect((await v.api.post('/api/auth/register', { email, password: TEST_PASSWORD, name: 'Farm' })).status).toBe(202);
    for (const email of emails) expect(await bonusRows(v, email)).toEqual([]);
    const { rows } = await sql<{
      n: number;
    }>`select count(*) as n from credit_transactions where type = 'signup_bonus' and user_id in (select id from users where email like 'farm-%')`.execute(
      v.running.core.database.db,
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('sends a new verification link on request, answering alike for any address; an expired link is refused', async () => {
    const email = `resend-${Date.now()}@example.com`;
    await v.api.post('/api/auth/register', { email, password: TEST_PASSWORD, name: 'Re' });
    await smtp.waitFor(email, /Verify/);
    const known = await v.api.post('/api/auth/verify-email/resend', { email });
    const unknown = await v.api.post('/api/auth/verify-email/resend', { email: `nobody-${Date.now()}@example.com` });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    const fresh = await smtp.waitFor(email, /Verify/, 1);
    const token = linkToken(fresh, 'verify-email');
    await v.running.core.database.db
      .updateTable('auth_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('token_hash', '=', hashToken(token))
      .execute();
    expect((await v.api.post('/api/auth/verify-email', { token })).status).toBe(400);
    expect((await v.api.post('/api/auth/login', { email, password: TEST_PASSWORD })).status).toBe(403);
  });

  it('resets a password by mail with a single-use, short-lived link, answering alike for unknown addresses', async () => {
    const { user } = await r.register();
    const email = user.email;
    expect((await r.api.get('/api/config')).body).toMatchObject({ emailEnabled: true, emailVerificationRequired: false });
    const known = await r.api.post('/api/auth/forgot-password', { email });
    const unknown = await r.api.post('/api/auth/forgot-password', { email: `ghost-${Date.now()}@example.com` });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    const mail = await smtp.waitFor(email, /Reset your password/);
    const token = linkToken(mail, 'reset-password');
    const row = await r.running.core.database.db
      .selectFrom('auth_tokens')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirstOrThrow();
    expect(row.expires_at - row.created_at).toBeLessThanOrEqual(30 * 60_000);

    // A refused password leaves the link usable.
    const weak = await r.api.post('/api/auth/reset-password', { token, password: '12345678' });
    expect(weak.status).toBe(400);
    expect(weak.error?.details?.fields).toEqual([
      { path: 'body.password', field: 'password', message: expect.stringMatching(/too easy to guess/) },
    ]);

    const reset = await r.api.post('/api/auth/reset-password', { token, password: NEW_PASSWORD });
    expect(reset.status).toBe(200);
    expect(reset.body.user.id).toBe(user.id);
    expect((await r.api.post('/api/auth/login', { email, password: TEST_PASSWORD })).status).toBe(401);
    expect((await r.api.post('/api/auth/login', { email, password: NEW_PASSWORD })).status).toBe(200);
    const again = await r.api.post('/api/auth/reset-password', { token, password: 'third-Lantern-orbit-77' });
    expect(again.status).toBe(400);
    expect(again.error?.details?.fields[0].path).toBe('body.token');
    // The bonus came at registration (no verification required) and is not granted again.
    expect(await bonusRows(r, email)).toEqual([25_000]);

    // An expired link is refused.
    await r.api.post('/api/auth/forgot-password', { email });
    const late = linkToken(await smtp.waitFor(email, /Reset your password/, 1), 'reset-password');
    await r.running.core.database.db
      .updateTable('auth_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('token_hash', '=', hashToken(late))
      .execute();
    expect((await r.api.post('/api/auth/reset-password', { token: late, password: 'fourth-Lantern-orbit-5' })).status).toBe(400);
    expect((await r.api.post('/api/auth/login', { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('mails one address at most 5 times an hour, whoever asks', async () => {
    const { user } = await r.register();
    for (let i = 0; i < 8; i++) expect((await r.api.post('/api/auth/forgot-password', { email: user.email })).status).toBe(202);
    // Every mail sent is a reset link issued first, before the answer: 5 issued means 5 sent, no more on the way.
    const issued = await r.running.core.database.db
      .selectFrom('auth_tokens')
      .select('id')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'reset_password')
      .execute();
    expect(issued).toHaveLength(5);
    await smtp.waitFor(user.email, /Reset/, 4);
    expect(smtp.to(user.email)).toHaveLength(5);
  });
});
