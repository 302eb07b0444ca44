/**
 * The package as a platform installs it: built with tsc to plain ESM and declarations,
 * packed with `npm pack`, installed from the tarball into a fresh Node project without the
 * registry (it depends on nothing), then imported from JavaScript and type-checked from
 * TypeScript through its `exports` (the root, `/express` and `/fastify`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(PKG, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const npm = (args: string[], cwd: string) =>
  run('npm', args, {
    cwd,
    timeout: 240_000,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });

describe('@credit-billing/client from npm pack', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('builds, packs, installs offline into a fresh project, imports and type-checks', { timeout: 300_000 }, async () => {
    await run(process.execPath, [TSC, '-p', join(PKG, 'tsconfig.json')], { timeout: 240_000 });
    const out = mkdtempSync(join(tmpdir(), 'client-pack-'));
    const app = mkdtempSync(join(tmpdir(), 'client-consumer-'));
    dirs.push(out, app);
    const packed = await npm(['pack', '--json', '--pack-destination', out], PKG);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const files = info.files.map((f) => f.path).sort();
    // Plain JavaScript and declarations, no sources or tests.
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.d.ts',
        'dist/express.js',
        'dist/express.d.ts',
        'dist/fastify.js',
        'dist/fastify.d.ts',
        'package.json',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependenciesMeta).toEqual({ express: { optional: true }, fastify: { optional: true } });

    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await npm(['install', join(out, info.filename), '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);

    writeFileSync(
      join(app, 'check.mjs'),
      `import { CreditsClient, InsufficientCreditsError, CreditsApiError, verifyWebhook } from '@credit-billing/client';
import { requireCredits as forExpress } from '@credit-billing/client/express';
import { requireCredits as forFastify } from '@credit-billing/client/fastify';
const client = new CreditsClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'ck_live_x', maxRetries: 0, timeoutMs: 500 });
const err = await client.balance('nobody').catch((e) => e);
console.log(JSON.stringify({
  client: typeof client.hold, insufficient: new InsufficientCreditsError('m', { required: 1, available: 0 }) instanceof CreditsApiError,
  webhook: typeof verifyWebhook, express: typeof forExpress({ client, customer: 'c', operation: 'o', unit: 'per_call', quantity: 1 }),
  fastify: typeof forFastify({ client, customer: 'c', operation: 'o', unit: 'per_call', quantity: 1 }), offline: [err.status, err.code],
}));
`,
    );
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: app, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({
      client: 'function',
      insufficient: true,
      webhook: 'function',
      express: 'function',
      fastify: 'function',
      offline: [0, 'network_error'],
    });

    writeFileSync(
      join(app, 'check.ts'),
      `import { CreditsClient, InsufficientCreditsError, type Balance, type WebhookEvent } from '@credit-billing/client';
import { requireCredits } from '@credit-billing/client/express';
const client = new CreditsClient({ baseUrl: 'http://x', apiKey: 'k' });
export async function f(): Promise<number> {
  const b: Balance = await client.balance('c');
  const h = await client.hold({ customer: 'c', operation: 'o', unit: 'per_minute', quantity: 60 });
  const c = await h.capture({ quantity: 30 });
  const e: WebhookEvent | null = null;
  void e;
  try { await client.recordUsage({ customer: 'c', operation: 'o', unit: 'per_call', quantity: 1 }); } catch (x) { if (x instanceof InsufficientCreditsError) return x.required - x.available; }
  return b.available + c.charged;
}
export const mw = requireCredits<{ user: { id: string } }>({ client, customer: (req) => req.user.id, operation: 'o', unit: 'per_call', quantity: 1 });
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          strict: true,
          noEmit: true,
          types: [],
        },
        files: ['check.ts'],
      }),
    );
    await run(process.execPath, [TSC, '-p', join(app, 'tsconfig.json')], { cwd: app, timeout: 120_000 });
  });
});
