/**
 * Failed sign-ins are limited per (email, client address) and only slowed down per email,
 * with the counters in the database:
 * - 30 parallel wrong passwords from one client: at most 10 are checked (401), the rest 429;
 * - an attacker elsewhere hammering Bob's email cannot lock Bob out of his own client;
 * - two instances on one database allow the same 10 guesses, not twice as many;
 * - TRUST_PROXY: behind a trusted proxy each client is counted by its own address, and an
 *   X-Forwarded-For from anyone else is not believed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SIGN_IN_LIMITS } from '../../src/core/accounts/sign-in.js';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { postFrom } from '../support/from-address.js';
import { type TestServer, startTestServer } from '../support/server.js';

const ATTACKER = '127.0.0.2';
const ELSEWHERE = '127.0.0.3';
const BOB = '127.0.0.1';
const LIMIT = DEFAULT_SIGN_IN_LIMITS.perClient;

describe.each(await activeDialects())('sign-in limits on %s', (dialect) => {
  let s: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { AUTH_RATE_LIMIT: '100000' });
    second = await startTestServer(dialect, { AUTH_RATE_LIMIT: '100000' }, s);
  });
  afterAll(async () => {
    await second?.stop();
    await s?.stop();
  });

  const login = (server: TestServer, email: string, password: string, from = BOB, headers: Record<string, string> = {}) =>
    postFrom(server.url, '/api/auth/login', { email, password }, from, headers);

  it('checks at most 10 of 30 parallel wrong passwords from one client; the rest are 429', async () => {
    const { user } = await s.register();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(s, user.email, `wrong-guess-${i}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((x) => x === 401).length).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((x) => x === 401).length + statuses.filter((x) => x === 429).length).toBe(30);
    const limited = answers.find((a) => a.status === 429);
    expect(limited?.body.error.code).toBe('rate_limited');
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("an attacker elsewhere hammering Bob's email slows Bob down but cannot lock him out", async () => {
    const { user } = await s.register();
    // The attacker's 10 guesses, then refused from their address...
    for (let i = 0; i < LIMIT; i++) expect((await login(s, user.email, `guess-${i}`, ATTACKER)).status).toBe(401);
    const refused = await login(s, user.email, TEST_PASSWORD, ATTACKER);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // ...and 10 more from a second address, so the email has 20 failures from all clients.
    await Promise.all(Array.from({ length: LIMIT }, (_, i) => login(s, user.email, `more-${i}`, ELSEWHERE)));
    expect((await login(s, user.email, 'one-more', ELSEWHERE)).status).toBe(429);

    // Bob, from his own client, with his password: slowed, but in.
    const started = Date.now();
    const bob = await login(s, user.email, TEST_PASSWORD, BOB);
    const took = Date.now() - started;
    expect(bob.status).toBe(200);
    expect(bob.body.user.id).toBe(user.id);
    expect(took).toBeGreaterThanOrEqual(DEFAULT_SIGN_IN_LIMITS.maxDelayMs - 50);
    expect(took).toBeLessThan(DEFAULT_SIGN_IN_LIMITS.maxDelayMs + 3000);
    // A wrong password from Bob's client is still only one of his own ten.
    expect((await login(s, user.email, 'typo', BOB)).status).toBe(401);
    expect((await login(s, user.email, TEST_PASSWORD, BOB)).status).toBe(200);
  });

  it('two instances on one database allow the same 10 guesses, not 20', async () => {
    const { user } = await s.register();
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) statuses.push((await login(i % 2 === 0 ? s : second, user.email, `alt-${i}`, ATTACKER)).status);
    expect(statuses.filter((x) => x === 401)).toHaveLength(LIMIT);
    expect(statuses.slice(LIMIT).every((x) => x === 429)).toBe(true);

    // In parallel across both instances too.
    const other = await s.register();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(i % 2 === 0 ? s : second, other.user.email, `par-${i}`, ATTACKER)),
    );
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(LIMIT);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(30 - LIMIT);
  });

  it('counts every client behind a trusted proxy by its own address (TRUST_PROXY), and only then', async () => {
    // The proxy is 127.0.0.1 (the only peer of this server); clients are named by X-Forwarded-For.
    for (const trust of ['127.0.0.1/32', '1']) {
      const p = await startTestServer(dialect, { AUTH_RATE_LIMIT: '100000', TRUST_PROXY: trust });
      try {
        const { user } = await p.register();
        const xff = (client: string) => ({ 'x-forwarded-for': client });
        for (let i = 0; i < LIMIT; i++) expect((await login(p, user.email, `g-${i}`, BOB, xff('203.0.113.9'))).status).toBe(401);
        expect((await login(p, user.email, TEST_PASSWORD, BOB, xff('203.0.113.9'))).status).toBe(429);
        // Another client through the same proxy is not counted with the first.
        expect((await login(p, user.email, TEST_PASSWORD, BOB, xff('198.51.100.7'))).status).toBe(200);
        // Only the last hop (the one the trusted proxy saw) counts: a forged first entry changes nothing.
        expect((await login(p, user.email, TEST_PASSWORD, BOB, xff('198.51.100.7, 203.0.113.9'))).status).toBe(429);
      } finally {
        await p.stop();
      }
    }

    // A proxy at 127.0.0.2 is trusted; a client connecting directly from 127.0.0.3 cannot name itself.
    const q = await startTestServer(dialect, { AUTH_RATE_LIMIT: '100000', TRUST_PROXY: '127.0.0.2' });
    try {
      const { user } = await q.register();
      for (let i = 0; i < LIMIT; i++) {
        expect((await login(q, user.email, `d-${i}`, ELSEWHERE, { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(401);
      }
      expect((await login(q, user.email, TEST_PASSWORD, ELSEWHERE, { 'x-forwarded-for': '198.51.100.200' })).status).toBe(429);
      expect((await login(q, user.email, TEST_PASSWORD, ATTACKER, { 'x-forwarded-for': '198.51.100.201' })).status).toBe(200);
    } finally {
      await q.stop();
    }

    // Without TRUST_PROXY the header is ignored: every request is the peer 127.0.0.1.
    const { user } = await s.register();
    for (let i = 0; i < LIMIT; i++)
      expect((await login(s, user.email, `n-${i}`, BOB, { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(401);
    expect((await login(s, user.email, TEST_PASSWORD, BOB, { 'x-forwarded-for': '198.51.100.250' })).status).toBe(429);
  });
});
