/**
 * The layer rules of docs/architecture.md are enforced by `npm run lint` (dependency-cruiser
 * with .dependency-cruiser.cjs). These tests run the same command: on the real tree, which
 * must be clean, and on a small tree of the same layout in which each layer makes one
 * wrong import (and one allowed one), each of which must be reported.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const run = promisify(execFile);

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** Runs depcruise in `cwd` on `src` as `npm run lint` does: its exit code and what it printed. */
async function lint(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(DEPCRUISE, ['src', '--config', CONFIG], { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

/** The violations depcruise finds in `cwd`'s `src`, from its JSON report. */
async function violations(cwd: string): Promise<Violation[]> {
  const { stdout } = await run(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout).summary.violations;
}

const tree = mkdtempSync(join(tmpdir(), 'layers-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

function file(path: string, text: string) {
  mkdirSync(dirname(join(tree, path)), { recursive: true });
  writeFileSync(join(tree, path), text);
}

describe('the layer rules', () => {
  it('hold on the real tree (npm run lint runs the same check)', async () => {
    const { code, output } = await lint(ROOT);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('report each layer-breaking import, type-only ones too, and allow the permitted ones', async () => {
    file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    file('src/contracts/money.ts', 'export const MC = 1000;\n');
    file('src/db/schema.ts', 'export interface Database { users: { id: string } }\n');
    file('src/server/context.ts', 'export interface AppContext { name: string }\n');
    file('src/integrations/mail/send.ts', 'export const send = () => 1;\n');
    file('src/web/lib/format.ts', 'export const format = (n: number) => String(n);\n');
    // Allowed: core -> db and contracts; server -> core; web -> contracts and itself.
    file(
      'src/core/ok.ts',
      "import type { Database } from '../db/schema.js';\nimport { MC } from '../contracts/money.js';\nexport const ok = (d?: Database) => (d ? MC : 0);\n",
    );
    file('src/server/route.ts', "import { ok } from '../core/ok.js';\nexport const route = ok;\n");
    file(
      'src/web/page.ts',
      "import { MC } from '../contracts/money.js';\nimport { format } from './lib/format.js';\nexport const page = format(MC);\n",
    );
    // Wrong, one per rule.
    file('src/core/bad-server.ts', "import type { AppContext } from '../server/context.js';\nexport type C = AppContext;\n");
    file('src/core/bad-integration.ts', "import { send } from '../integrations/mail/send.js';\nexport const s = send;\n");
    file('src/db/bad.ts', "import { ok } from '../core/ok.js';\nexport const b = ok;\n");
    file('src/contracts/bad.ts', "import type { Database } from '../db/schema.js';\nexport type D = Database;\n");
    file('src/web/bad.ts', "import { ok } from '../core/ok.js';\nexport const w = ok;\n");
    file('src/server/bad.ts', "import { page } from '../web/page.js';\nexport const p = page;\n");
    file('src/core/bad-missing.ts', "import { nothing } from './no-such-file.js';\nexport const n = nothing;\n");

    const found = (await violations(tree)).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual(
      [
        'contracts-is-a-leaf: src/contracts/bad.ts -> src/db/schema.ts',
        'core-stays-below-the-edges: src/core/bad-integration.ts -> src/integrations/mail/send.ts',
        'core-stays-below-the-edges: src/core/bad-server.ts -> src/server/context.ts',
        'db-imports-nothing-above-it: src/db/bad.ts -> src/core/ok.ts',
        'no-unresolvable-imports: src/core/bad-missing.ts -> ./no-such-file.js',
        'nothing-imports-the-dashboard: src/server/bad.ts -> src/web/page.ts',
        'web-imports-only-contracts: src/web/bad.ts -> src/core/ok.ts',
      ].sort(),
    );
    // And the lint command fails on them, naming the rule.
    const { code, output } = await lint(tree);
    expect(code).not.toBe(0);
    expect(output).toContain('error core-stays-below-the-edges: src/core/bad-server.ts → src/server/context.ts');
  });
});
