/**
 * The ledger key: LEDGER_KEY, or outside production one generated once in DATA_DIR (as
 * the JWT secret); required in production; at least 32 bytes. Stripe: all of its settings
 * or none, in every mode.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'credits-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LEDGER_KEY', () => {
  it('is generated once in DATA_DIR outside production, and kept', () => {
    const a = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
    const b = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
    expect(a.ledgerKey).toBe(b.ledgerKey);
    expect(a.ledgerKey.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'ledger-key'), 'utf8').trim()).toBe(a.ledgerKey);
    expect(statSync(join(dir, 'ledger-key')).mode & 0o777).toBe(0o600);
    expect(a.ledgerKey).not.toBe(a.jwtSecret);
  });

  it('is taken from the environment when set', () => {
    expect(loadConfig({ DATA_DIR: dir, LEDGER_KEY: 'k'.repeat(40) }).ledgerKey).toBe('k'.repeat(40));
  });

  it('is required in production, and must be at least 32 bytes', () => {
    const prod = { NODE_ENV: 'production', DATA_DIR: dir, JWT_SECRET: 'j'.repeat(40) };
    expect(() => loadConfig(prod)).toThrow(ConfigError);
    expect(() => loadConfig(prod)).toThrow(/LEDGER_KEY is required in production/);
    expect(() => loadConfig({ ...prod, LEDGER_KEY: 'short' })).toThrow(/LEDGER_KEY must be at least 32 bytes/);
    expect(loadConfig({ ...prod, LEDGER_KEY: 'k'.repeat(32) }).ledgerKey).toBe('k'.repeat(32));
  });
});

describe('Stripe', () => {
  const full = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_PUBLISHABLE_KEY: 'pk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' };
  const modes = [
    { NODE_ENV: 'development', DATA_DIR: dir },
    { NODE_ENV: 'test', DATA_DIR: dir },
    { NODE_ENV: 'production', DATA_DIR: dir, JWT_SECRET: 'j'.repeat(40), LEDGER_KEY: 'k'.repeat(40) },
  ];

  it.each(modes)('half-configured is refused at start-up, naming the missing setting ($NODE_ENV)', (mode) => {
    expect(() => loadConfig({ ...mode, ...full, STRIPE_PUBLISHABLE_KEY: undefined })).toThrow(
      /STRIPE_PUBLISHABLE_KEY is required when STRIPE_SECRET_KEY is set/,
    );
    expect(() => loadConfig({ ...mode, ...full, STRIPE_WEBHOOK_SECRET: undefined })).toThrow(
      /STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set/,
    );
    expect(() => loadConfig({ ...mode, ...full, STRIPE_WEBHOOK_SECRET: '', STRIPE_PUBLISHABLE_KEY: '' })).toThrow(
      /STRIPE_WEBHOOK_SECRET is required[\s\S]*STRIPE_PUBLISHABLE_KEY is required/,
    );
    expect(() => loadConfig({ ...mode, STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(
      /STRIPE_SECRET_KEY is required when STRIPE_WEBHOOK_SECRET is set/,
    );
    expect(loadConfig({ ...mode, ...full }).stripe).toMatchObject({
      secretKey: 'sk_test_x',
      publishableKey: 'pk_test_x',
      webhookSecret: 'whsec_x',
    });
    expect(loadConfig({ ...mode }).stripe).toBeUndefined();
  });
});

describe('settings the listener, the logger or the mailer would only refuse at start', () => {
  it('are refused with the rest of the configuration (exit 2, not restarted by systemd)', () => {
    const base = { NODE_ENV: 'development', DATA_DIR: dir };
    for (const [env, message] of [
      [{ PORT: '99999' }, /PORT must be a port number/],
      [{ PORT: '4000', METRICS_PORT: '4000' }, /METRICS_PORT must differ from PORT/],
      [{ HOST: '999.1.1.1' }, /HOST must be an IP address/],
      [{ HOST: 'http://example.com' }, /HOST must be an IP address/],
      [{ HOST: 'bad host name' }, /HOST must be an IP address/],
      [{ HOST: '.' }, /HOST must be an IP address/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
      [{ SMTP_URL: 'garbage' }, /SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/],
      [{ ALERTS_WEBHOOK_URL: 'notaurl' }, /ALERTS_WEBHOOK_URL must be an http\(s\) URL/],
      [{ VAPI_API_BASE: 'ftp://x' }, /VAPI_API_BASE must be an http\(s\) URL/],
    ] as const) {
      expect(() => loadConfig({ ...base, ...env }), JSON.stringify(env)).toThrow(message);
    }
    const fine = loadConfig({ ...base, PORT: '65535', METRICS_PORT: '9100', LOG_LEVEL: 'debug', SMTP_URL: 'smtps://u:p@mail.example:465' });
    expect([fine.port, fine.metrics.port]).toEqual([65535, 9100]);
    for (const HOST of [
      '0.0.0.0',
      '::',
      '::1',
      '10.0.0.7',
      'localhost',
      'credits-1.internal',
      'Api.Example.COM',
      'host.example.',
      'credits_api',
    ])
      expect(loadConfig({ ...base, HOST }).host, HOST).toBe(HOST);
  });

  it('a NODE_ENV that is not development, production or test is named at start', async () => {
    const { startupNotices } = await import('./start/notices.js');
    const notices = (env: string) => startupNotices(loadConfig({ NODE_ENV: env, DATA_DIR: dir }), 'http://x', undefined);
    expect(notices('prod').join('\n')).toMatch(/WARNING: NODE_ENV is 'prod', not 'production'/);
    expect(notices('development').join('\n')).not.toMatch(/WARNING/);
  });
});

describe('PASSWORD_MIN_SCORE', () => {
  const prod = { NODE_ENV: 'production', DATA_DIR: dir, JWT_SECRET: 'j'.repeat(40), LEDGER_KEY: 'k'.repeat(40) };
  it("is 3 in production and 0 (the contract's 8 characters alone) outside it, unless set; 0 to 4 only", () => {
    expect(loadConfig(prod).passwordMinScore).toBe(3);
    expect(loadConfig({ ...prod, PASSWORD_MIN_SCORE: '0' }).passwordMinScore).toBe(0);
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir }).passwordMinScore).toBe(0);
    expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, PASSWORD_MIN_SCORE: '4' }).passwordMinScore).toBe(4);
    for (const bad of ['5', '-1', '2.5', 'high']) {
      expect(() => loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, PASSWORD_MIN_SCORE: bad })).toThrow(/PASSWORD_MIN_SCORE/);
    }
  });
});
