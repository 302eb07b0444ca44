/**
 * Validation errors a person can read: one sentence per bad field in `message`, naming
 * the field in words, with the field paths still in `details.fields`. And free text (the
 * recipient of a message, file names, names, reasons, descriptions) refuses control
 * characters and bidirectional override characters, writing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type Client, type Res, type TestServer, startTestServer } from '../support/server.js';

const SERVICE_KEY = 'validation-service-key-0123456789';

/** Lone surrogates (JSON's `\ud800` escape makes one): not text; SQLite would have stored one differently from PostgreSQL. */
const LONE_SURROGATES = ['\ud800', '\udfff', '\udc00\ud83d'];
/** Characters no single-line free-text field accepts: C0, DEL, C1, bidi embeddings, overrides and isolates, lone surrogates. */
const SINGLE_LINE_BAD = [
  '\u0007',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  ...LONE_SURROGATES,
];
/** A message body may hold line breaks and tabs, nothing else of those. */
const MULTILINE_BAD = SINGLE_LINE_BAD.filter((c) => !['\t', '\n', '\r'].includes(c));

function expectFieldError(r: Res, path: string, sentence: RegExp) {
  expect(r.status, r.text).toBe(400);
  expect(r.body.error.code).toBe('validation_error');
  const field = (r.body.error.details?.fields ?? []).find((f: { path: string }) => f.path === path);
  expect(field, `${path} in ${r.text}`).toBeDefined();
  expect(field.message).toMatch(sentence);
  expect(r.body.error.message).toMatch(sentence);
}

describe.each(await activeDialects())('validation messages and free text on %s', (dialect) => {
  let s: TestServer;
  let admin: Client;
  let user: { api: Client; user: { id: string } };

  beforeAll(async () => {
    s = await startTestServer(dialect, { SERVICE_API_KEY: SERVICE_KEY });
    admin = (await s.userWithRole('admin')).api;
    user = await s.register();
    await s.grant(user.user.id, 100);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const moneyState = async () => {
    const db = s.running.core.database.db;
    const [tx, usage, users, packages, rules] = await Promise.all([
      db
        .selectFrom('credit_transactions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('usage_tracking')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db.selectFrom('credit_packages').select(['id', 'name']).orderBy('id').execute(),
      db.selectFrom('credit_pricing').select(['id', 'description']).orderBy('id').execute(),
    ]);
    return JSON.stringify([Number(tx.n), Number(usage.n), Number(users.n), packages, rules]);
  };

  it('answers one sentence per bad field, naming the field in words, with the paths in details', async () => {
    const before = await moneyState();
    const r = await s.api.post('/api/auth/register', { email: 'not-an-address', password: 'short', name: '' });
    expect(r.status).toBe(400);
    expect(r.error?.code).toBe('validation_error');
    expect(r.error?.message).toBe('Email must be a valid email address. Password must be at least 8 characters. Name is required.');
    expect(r.error?.details?.fields).toEqual([
      { path: 'body.email', field: 'email', message: 'Email must be a valid email address' },
      { path: 'body.password', field: 'password', message: 'Password must be at least 8 characters' },
      { path: 'body.name', field: 'name', message: 'Name is required' },
    ]);
    expect(await moneyState()).toBe(before);

    const missing = await s.api.post('/api/auth/login', {});
    expect(missing.error?.message).toBe('Email is required. Password is required.');

    const query = await user.api.get('/api/credits/transactions?limit=500&from=yesterday');
    expect(query.error?.message).toBe('Limit must be at most 200. Start date must be an ISO-8601 date or date-time.');
    expect(query.error?.details?.fields.map((f: { path: string }) => f.path)).toEqual(['querystring.limit', 'querystring.from']);
    // A day that does not exist is refused, not rolled over into the next month.
    for (const q of ['from=2026-02-30', 'to=2026-11-31', 'from=2026-02-29T10:00:00Z', 'from=2026-13-01']) {
      const r = await user.api.get(`/api/credits/usage?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.error?.message, q).toMatch(/date must be an ISO-8601 date or date-time/);
    }
    expect((await user.api.get('/api/credits/usage?from=2028-02-29&to=2028-03-01')).status).toBe(200);

    const nested = await user.api.put('/api/credits/settings', { autoRecharge: { enabled: true, thresholdCredits: -1, colour: 'red' } });
    expect(nested.error?.message).toBe(
      'Auto-recharge threshold must be greater than 0. The field "autoRecharge.colour" is not allowed here.',
    );
    expect(nested.error?.details?.fields.map((f: { field: string }) => f.field)).toEqual([
      'autoRecharge.thresholdCredits',
      'autoRecharge.colour',
    ]);

    const call = await user.api.post('/api/vapi/calls', { phoneNumber: '555', maxDurationSeconds: 90.5 });
    expect(call.error?.message).toBe('Phone number must be an E.164 number such as +15551234567. Maximum duration must be a whole number.');

    const kinds = await user.api.post('/api/credits/estimate', { operation: 'message', unit: 'per_fortnight', quantity: 'one' });
    expect(kinds.error?.message).toMatch(/^Unit must be one of "per_call", .*\. Quantity must be a number\.$/);

    const notJson = await user.api.request('POST', '/api/messages', { raw: '{"to": ', headers: { 'content-type': 'application/json' } });
    expect(notJson.body.error).toEqual({ code: 'validation_error', message: 'The request body is not valid JSON.' });
    const notObject = await user.api.post('/api/messages', ['to', 'body']);
    expect(notObject.error?.message).toBe('The request body must be an object.');

    // A credits field that takes no negative says its own bounds, not -1,000,000,000.
    const pkg = await admin.post('/api/admin/packages', { name: 'Tiny', credits: 0.0005, bonusCredits: 1.2345, priceCents: 100 });
    expect(pkg.status).toBe(400);
    expect(pkg.error?.message).toMatch(/Credits must be a number of credits with at most 3 decimals, up to 1,000,000,000\./);
    expect(pkg.error?.message).toMatch(/must be a number of credits with at most 3 decimals, from 0 to 1,000,000,000\./);
    expect(pkg.error?.message).not.toContain('-1,000,000,000');
    const adjust = await admin.post(`/api/admin/users/${user.user.id}/adjustments`, { amount: 0.0005, reason: 'x' });
    expect(adjust.error?.message).toContain('between -1,000,000,000 and 1,000,000,000');
    expect(await moneyState()).toBe(before);
  });

  it('refuses control and bidirectional override characters and lone surrogates in every free-text field, writing nothing', async () => {
    const pkg = (await admin.get('/api/admin/packages')).body.items[0]!;
    const rule = (await admin.get('/api/admin/pricing')).body.items.find((r) => r.active)!;
    const cases: { path: string; send: (v: string) => Promise<Res>; multiline?: boolean }[] = [
      {
        path: 'body.name',
        send: (v) =>
          s.api.post('/api/auth/register', { email: `t-${Math.random()}@example.com`, password: TEST_PASSWORD, name: `Eve${v}lyn` }),
      },
      { path: 'body.to', send: (v) => user.api.post('/api/messages', { to: `+1555${v}1234567`, body: 'Hi' }) },
      { path: 'body.body', send: (v) => user.api.post('/api/messages', { to: 'c-1', body: `Hi${v}there` }), multiline: true },
      { path: 'body.assistantId', send: (v) => user.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', assistantId: `a${v}b` }) },
      {
        path: 'body.reason',
        send: (v) => admin.post(`/api/admin/users/${user.user.id}/adjustments`, { amount: 1, reason: `goodwill${v}` }),
      },
      { path: 'body.name', send: (v) => admin.post('/api/admin/packages', { name: `Pro${v}`, credits: 10, priceCents: 500 }) },
      { path: 'body.name', send: (v) => admin.patch(`/api/admin/packages/${pkg.id}`, { name: `Pro${v}` }) },
      {
        path: 'body.description',
        send: (v) => admin.post('/api/admin/pricing', { operation: 'fresh_op', unit: 'per_call', credits: 1, description: `d${v}` }),
      },
      { path: 'body.description', send: (v) => admin.patch(`/api/admin/pricing/${rule.id}`, { description: `d${v}` }) },
      {
        path: 'body.idempotencyKey',
        send: (v) =>
          s.api.post(
            '/api/usage',
            { userId: user.user.id, operation: 'message', unit: 'per_message', quantity: 1, idempotencyKey: `k${v}` },
            { 'x-service-key': SERVICE_KEY },
          ),
      },
      { path: 'querystring.search', send: (v) => admin.get(`/api/admin/users?search=${encodeURIComponent(`bob${v}`)}`) },
    ];
    const before = await moneyState();
    for (const c of cases) {
      for (const bad of c.multiline ? MULTILINE_BAD : SINGLE_LINE_BAD) {
        // A query string carries bytes: a lone surrogate cannot be percent-encoded (and invalid UTF-8 decodes to U+FFFD).
        if (c.path.startsWith('querystring') && LONE_SURROGATES.includes(bad)) continue;
        const r = await c.send(bad);
        const what = /[\u202a-\u202e\u2066-\u2069]/.test(bad)
          ? /must not contain bidirectional override characters/
          : LONE_SURROGATES.includes(bad)
            ? /must not contain unpaired surrogates/
            : /must not contain control characters/;
        expectFieldError(r, c.path, what);
      }
    }
    expect(await moneyState()).toBe(before);
  });

  it('accepts ordinary text in any script, and line breaks and tabs in a message body', async () => {
    const named = await s.register({ name: 'Zoë Ångström-محمد 李' });
    expect(named.user).toMatchObject({ name: 'Zoë Ångström-محمد 李' });
    const msg = await user.api.post('/api/messages', { to: 'candidate-42', body: 'Dear Zoë,\n\n\tSee you at 10:00.\r\nמחר' });
    expect(msg.status).toBe(201);
    const adj = await admin.post(`/api/admin/users/${user.user.id}/adjustments`, { amount: 1, reason: 'Remboursement — appel coupé' });
    expect(adj.status).toBe(201);
    // A character outside the BMP is a surrogate pair, not a lone surrogate.
    const emoji = await admin.post(`/api/admin/users/${user.user.id}/adjustments`, { amount: 1, reason: 'Card refund 💳' });
    expect(emoji.status).toBe(201);
  });

  it('refuses file names with control or bidirectional override characters and charges nothing', async () => {
    const upload = (filename: string) => {
      const boundary = '----credits-test-boundary';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/pdf\r\n\r\n`;
      const body = Buffer.concat([Buffer.from(head, 'utf8'), Buffer.alloc(1024, 1), Buffer.from(`\r\n--${boundary}--\r\n`)]);
      return user.api.request('POST', '/api/files', {
        raw: body,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
    };
    const before = await moneyState();
    const trojan = await upload('invoice\u202Efdp.exe');
    expectFieldError(trojan, 'body.file.filename', /^The file name must not contain bidirectional override characters/);
    const bell = await upload('cv\u0007.pdf');
    expectFieldError(bell, 'body.file.filename', /^The file name must not contain control characters/);
    expect(await moneyState()).toBe(before);
    // A body cut off inside the file: 400 with the field named, nothing charged, nothing kept.
    const cut = await user.api.request('POST', '/api/files', {
      raw: Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\nabc'),
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expectFieldError(cut, 'body.file', /^The upload's multipart body is incomplete or malformed/);
    expect(cut.error?.message).toMatch(/incomplete or malformed.*nothing was charged/);
    expect(await moneyState()).toBe(before);
    const ok = await upload('Lebenslauf Jürgen.pdf');
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.file.name).toBe('Lebenslauf Jürgen.pdf');
  });
});
