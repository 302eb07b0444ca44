/**
 * Identity from the platform (API.md): tokens of the platform's identity provider, checked
 * against its JWKS (a local stand-in with keys made here), are accepted on every route; the
 * user and their account are made on first sight; roles come from the configured claim;
 * another key, algorithm, issuer or audience, an expired token and a forged one are 401;
 * a rotated key is picked up; a flood of unknown kids costs the provider one request per
 * cooldown; OIDC discovery finds the keys; AUTH_BUILTIN=false turns password sign-in off.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type IdentityProvider, type SigningKey, startIdentityProvider } from '../support/identity-provider.js';
import { type TestServer, startTestServer } from '../support/server.js';

const AUDIENCE = 'credit-billing-test';

/** Polls `check` until it returns true or `ms` pass; returns whether it did. */
async function eventually(check: () => Promise<boolean>, ms: number, every = 50): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

describe.each(await activeDialects())('platform tokens on %s', (dialect) => {
  let idp: IdentityProvider;
  let s: TestServer;
  let rsa: SigningKey;
  let ec: SigningKey;
  let ed: SigningKey;
  let n = 0;
  const sub = () => `platform-user-${dialect}-${++n}-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    idp = await startIdentityProvider(AUDIENCE);
    rsa = await idp.newKey('RS256');
    ec = await idp.newKey('ES256');
    ed = await idp.newKey('EdDSA');
    idp.published = [rsa, ec, ed];
    s = await startTestServer(dialect, {
      AUTH_JWKS_URL: idp.jwksUrl,
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_ROLE_CLAIM: 'https://platform.example/roles',
      AUTH_NAME_CLAIM: 'display_name',
      // A rotated key is taken at once here; the cooldown has a test of its own below.
      AUTH_JWKS_COOLDOWN_SECONDS: '0',
      SIGNUP_BONUS_CREDITS: '5',
    });
  });
  afterAll(async () => {
    await s?.stop();
    await idp?.close();
  });

  it('accepts RS256, ES256 and EdDSA tokens on every route; the user and account are made once, on first sight', async () => {
    for (const key of [rsa, ec, ed]) {
      const id = sub();
      const token = await idp.sign(key, { sub: id, email: `${id}@platform.example`, display_name: `Name ${id}` });
      const api = s.api.withToken(token);
      const me = await api.get('/api/auth/me');
      expect(me.status, key.alg).toBe(200);
      expect(me.body.user).toMatchObject({ email: `${id}@platform.example`, name: `Name ${id}`, role: 'user' });
      const balance = await api.get('/api/credits/balance');
      expect(balance.status).toBe(200);
      expect(balance.body.balance).toBe(5); // the sign-up bonus: a new account like any other
      expect((await api.post('/api/credits/estimate', { operation: 'message', unit: 'per_message', quantity: 1 })).status).toBe(200);
      // A second token of the same subject is the same user; nothing is made twice.
      const again = await idp.sign(key, { sub: id, email: `${id}@platform.example`, display_name: `Name ${id}` });
      expect((await s.api.withToken(again).get('/api/auth/me')).body.user.id).toBe(me.body.user.id);
      const rows = await s.running.core.database.db
        .selectFrom('users')
        .select(['id', 'external_id', 'password_hash'])
        .where('external_id', '=', id)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.id).toBe(me.body.user.id);
      // No password signs in as a platform user.
      expect(
        (await s.api.post('/api/auth/login', { email: `${id}@platform.example`, password: rows[0]?.password_hash ?? '' })).status,
      ).toBe(401);
    }
  });

  it('makes a user once when their first requests arrive together', async () => {
    const id = sub();
    const token = await idp.sign(rsa, { sub: id, email: `${id}@platform.example` });
    const answers = await Promise.all(Array.from({ length: 8 }, () => s.api.withToken(token).get('/api/credits/balance')));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const rows = await s.running.core.database.db.selectFrom('users').select('id').where('external_id', '=', id).execute();
    expect(rows).toHaveLength(1);
    const signupBonuses = await s.running.core.database.db
      .selectFrom('credit_transactions')
      .select('id')
      .where('user_id', '=', rows[0]?.id as string)
      .where('type', '=', 'signup_bonus')
      .execute();
    expect(signupBonuses).toHaveLength(1);
  });

  it('refuses another key, algorithm, issuer or audience, an expired token, one without exp or sub, and forged ones (401)', async () => {
    const id = sub();
    const claims = { sub: id, email: `${id}@platform.example` };
    expect((await s.api.withToken(await idp.sign(rsa, claims)).get('/api/auth/me')).status).toBe(200);

    // Another key under a published kid, and a key the JWKS does not have at all.
    const stranger = await idp.newKey('RS256', rsa.kid);
    const unknown = await idp.newKey('ES256');
    // The right key's algorithm family, but not an accepted algorithm (PS256 with the RSA key, RS384).
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ps256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'PS256', kid: rsa.kid })
      .setIssuer(idp.issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(rsaPem.privateKey);
    // Algorithm confusion: HS256 "signed" with the published public key as the HMAC secret.
    const pem = createPublicKey({ key: rsa.jwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const hsConfusion = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
      .setIssuer(idp.issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(pem));
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: rsa.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: idp.issuer, aud: AUDIENCE, exp: 9_999_999_999 })).toString('base64url')}.`;
    const good = await idp.sign(rsa, claims);
    const [h, p, sig] = good.split('.') as [string, string, string];
    const otherSub = Buffer.from(JSON.stringify({ sub: 'someone-else', iss: idp.issuer, aud: AUDIENCE, exp: 9_999_999_999 })).toString(
      'base64url',
    );

    const refused: Record<string, string> = {
      otherKeySameKid: await idp.sign(stranger, claims),
      unknownKid: await idp.sign(unknown, claims),
      ps256,
      hsConfusion,
      none,
      swappedPayload: `${h}.${otherSub}.${sig}`,
      flippedSignature: `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`,
      otherIssuer: await idp.sign(rsa, claims, { issuer: 'https://evil.example' }),
      otherAudience: await idp.sign(rsa, claims, { audience: 'another-service' }),
      expired: await idp.sign(rsa, claims, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }),
      noExp: await idp.sign(rsa, claims, { noExp: true }),
      noSub: await idp.sign(rsa, { email: 'nosub@platform.example' }),
    };
    for (const [name, token] of Object.entries(refused)) {
      const r = await s.api.withToken(token).get('/api/credits/balance');
      expect(r.status, name).toBe(401);
      expect(r.error?.code, name).toBe('unauthorized');
    }
    // None of them made a user.
    expect(await s.running.core.database.db.selectFrom('users').select('id').where('external_id', '=', 'someone-else').execute()).toEqual(
      [],
    );
  });

  it('grants admin or super_admin while the role claim says so, and never writes it to the user', async () => {
    const id = sub();
    const as = (roles: unknown) => idp.sign(ec, { sub: id, email: `${id}@platform.example`, 'https://platform.example/roles': roles });
    const plain = s.api.withToken(await idp.sign(ec, { sub: id, email: `${id}@platform.example` }));
    expect((await plain.get('/api/admin/users')).status).toBe(403);
    const admin = s.api.withToken(await as(['viewer', 'admin']));
    expect((await admin.get('/api/admin/users')).status).toBe(200);
    // /api/auth/me says the role this token acts with (the dashboard shows its admin pages from it).
    const meAdmin = await admin.get('/api/auth/me');
    expect(meAdmin.status).toBe(200);
    expect(meAdmin.body.user.role).toBe('admin');
    const superToken = s.api.withToken(await as('super_admin'));
    expect((await superToken.get('/api/admin/users')).status).toBe(200);
    expect((await superToken.get('/api/auth/me')).body.user.role).toBe('super_admin');
    expect((await plain.get('/api/auth/me')).body.user.role).toBe('user');
    expect((await s.api.withToken(await as('owner')).get('/api/admin/users')).status).toBe(403);
    // Without the claim the same user is a user again: the role lasted only as long as the token said so.
    expect((await plain.get('/api/admin/users')).status).toBe(403);
    const row = await s.running.core.database.db.selectFrom('users').select('role').where('external_id', '=', id).executeTakeFirstOrThrow();
    expect(row.role).toBe('user');
  });

  it('takes a rotated key (new kid) as soon as the provider publishes it, and stops taking a key it withdrew', async () => {
    const id = sub();
    const claims = { sub: id, email: `${id}@platform.example` };
    expect((await s.api.withToken(await idp.sign(rsa, claims)).get('/api/auth/me')).status).toBe(200);
    const rotated = await idp.newKey('RS256');
    const before = idp.jwksHits;
    idp.published = [rotated, ec, ed];
    expect((await s.api.withToken(await idp.sign(rotated, claims)).get('/api/auth/me')).status).toBe(200);
    expect(idp.jwksHits).toBe(before + 1);
    // The withdrawn key's new tokens are refused (the refetched set no longer has it).
    expect((await s.api.withToken(await idp.sign(rsa, { ...claims, jti: 'fresh' })).get('/api/auth/me')).status).toBe(401);
    idp.published = [rsa, rotated, ec, ed];
  });

  it('keeps built-in sign-up and sign-in working beside platform tokens', async () => {
    const u = await s.register();
    expect((await u.api.get('/api/auth/me')).status).toBe(200);
    expect((await s.api.post('/api/auth/login', { email: u.user.email, password: TEST_PASSWORD })).status).toBe(200);
  });

  it('links a platform identity to the user holding its email only when the provider vouches for the address', async () => {
    const holder = await s.register();
    const id1 = sub();
    // Not verified: a new user, with a placeholder address; the holder is untouched.
    const unverified = await s.api.withToken(await idp.sign(rsa, { sub: id1, email: holder.user.email })).get('/api/auth/me');
    expect(unverified.status).toBe(200);
    expect(unverified.body.user.id).not.toBe(holder.user.id);
    expect(unverified.body.user.email).toMatch(/@users\.invalid$/);
    const id2 = sub();
    const verified = await s.api
      .withToken(await idp.sign(rsa, { sub: id2, email: holder.user.email, email_verified: true }))
      .get('/api/auth/me');
    expect(verified.body.user.id).toBe(holder.user.id);
    const row = await s.running.core.database.db
      .selectFrom('users')
      .select('external_id')
      .where('id', '=', holder.user.id)
      .executeTakeFirstOrThrow();
    expect(row.external_id).toBe(id2);
  });

  it('refuses to sign out a platform token (403, nothing changed): the provider ends it, and it keeps working', async () => {
    const token = await idp.sign(rsa, { sub: sub() });
    const out = await s.api.withToken(token).post('/api/auth/logout', {});
    expect(out.status).toBe(403);
    expect(out.error?.message).toMatch(/platform's token/);
    expect((await s.api.withToken(token).get('/api/auth/me')).status).toBe(200);
  });

  it("never links a platform identity to an administrator's account by email, vouched for or not", async () => {
    const admin = await s.userWithRole('super_admin');
    const id = sub();
    const me = await s.api.withToken(await idp.sign(rsa, { sub: id, email: admin.user.email, email_verified: true })).get('/api/auth/me');
    // Until 6 December this token signed in as the super admin, and kept it without the claim.
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ role: 'user' });
    expect(me.body.user.id).not.toBe(admin.user.id);
    expect(me.body.user.email).toMatch(/@users\.invalid$/);
    const row = await s.running.core.database.db
      .selectFrom('users')
      .select('external_id')
      .where('id', '=', admin.user.id)
      .executeTakeFirstOrThrow();
    expect(row.external_id).toBeNull();
  });

  it("answers 502 when the provider's keys cannot be fetched, and works again when they can", async () => {
    const id = sub();
    const fresh = await idp.newKey('ES256');
    idp.published = [...idp.published, fresh];
    idp.failWith = 503;
    try {
      const r = await s.api.withToken(await idp.sign(fresh, { sub: id })).get('/api/auth/me');
      expect(r.status).toBe(502);
      expect(r.error?.code).toBe('bad_gateway');
    } finally {
      idp.failWith = null;
    }
    expect((await s.api.withToken(await idp.sign(fresh, { sub: id })).get('/api/auth/me')).status).toBe(200);
  });
});

describe.each(await activeDialects())('platform keys: cooldown, discovery and AUTH_BUILTIN=false on %s', (dialect) => {
  let idp: IdentityProvider;
  let key: SigningKey;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    idp = await startIdentityProvider(AUDIENCE);
    key = await idp.newKey('ES256');
    idp.published = [key];
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await idp?.close();
  });

  it('refetches the keys on an unknown kid at most once per cooldown, and picks up a rotated key after it', async () => {
    const s = await startTestServer(dialect, { AUTH_JWKS_URL: idp.jwksUrl, AUTH_AUDIENCE: AUDIENCE, AUTH_JWKS_COOLDOWN_SECONDS: '2' });
    servers.push(s);
    expect((await s.api.withToken(await idp.sign(key, { sub: 'cooldown-user' })).get('/api/auth/me')).status).toBe(200);
    const afterFirst = idp.jwksHits;
    // A flood of made-up kids right after a fetch: refused, and the provider is not asked again.
    for (let i = 0; i < 20; i++) {
      const bogus = await idp.newKey('ES256');
      expect((await s.api.withToken(await idp.sign(bogus, { sub: `bogus-${i}` })).get('/api/auth/me')).status).toBe(401);
    }
    expect(idp.jwksHits - afterFirst).toBeLessThanOrEqual(1);
    // A rotated key: refused while cooling down, accepted once the cooldown has passed (within 60 s by the contract).
    const rotated = await idp.newKey('ES256');
    idp.published = [key, rotated];
    const token = await idp.sign(rotated, { sub: 'cooldown-user' });
    const started = Date.now();
    expect(await eventually(async () => (await s.api.withToken(token).get('/api/auth/me')).status === 200, 10_000, 200)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('finds the keys through the issuer’s OpenID configuration (AUTH_ISSUER alone)', async () => {
    const s = await startTestServer(dialect, { AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: AUDIENCE });
    servers.push(s);
    expect((await s.api.withToken(await idp.sign(key, { sub: 'discovered-user' })).get('/api/auth/me')).status).toBe(200);
    expect(
      (await s.api.withToken(await idp.sign(key, { sub: 'discovered-user' }, { issuer: 'https://elsewhere.example' })).get('/api/auth/me'))
        .status,
    ).toBe(401);
  });

  it('turns built-in sign-up and sign-in off with AUTH_BUILTIN=false; platform tokens still work', async () => {
    const s = await startTestServer(dialect, {
      AUTH_JWKS_URL: idp.jwksUrl,
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_BUILTIN: 'false',
    });
    servers.push(s);
    const reg = await s.api.post('/api/auth/register', { email: 'builtin-off@example.com', password: TEST_PASSWORD, name: 'Off' });
    expect(reg.status).toBe(403);
    expect(reg.error?.code).toBe('forbidden');
    expect((await s.api.post('/api/auth/login', { email: 'builtin-off@example.com', password: TEST_PASSWORD })).status).toBe(403);
    expect((await s.api.post('/api/auth/forgot-password', { email: 'builtin-off@example.com' })).status).toBe(403);
    expect((await s.api.withToken(await idp.sign(key, { sub: 'builtin-off-user' })).get('/api/credits/balance')).status).toBe(200);
    // A built-in token issued before (by this server with built-in sign-in on, the same secret) is refused
    // now: until 6 December it kept its access for its 7 days.
    const platformUser = await s.api.withToken(await idp.sign(key, { sub: 'builtin-off-user' })).get('/api/auth/me');
    const refused = await s.api.withToken(await s.tokenFor(platformUser.body.user.id)).get('/api/auth/me');
    expect(refused.status).toBe(401);
    expect(refused.error?.message).toMatch(/AUTH_BUILTIN=false/);
    expect(
      (await s.api.post('/api/setup', { token: 'x'.repeat(43), email: 'a@example.com', password: TEST_PASSWORD, name: 'A' })).status,
    ).toBe(403);
    expect(s.running.setupToken).toBeNull();
    expect((await s.api.get('/api/setup')).body).toEqual({ required: true, builtin: false });
  });
});
