/**
 * The programs the tests run in child processes of their own (the server, the `credits`
 * command, the crash and race workers) and how to start them.
 *
 * They start from a bundle of each, built once per test run by test/support/global-setup.ts
 * with esbuild, rather than through tsx: tsx transpiles and resolves some three hundred
 * modules through its loader at every start, about 2 s of CPU each time (the reliability
 * tests alone start a server some 70 times, the CLI tests run the command dozens of times).
 * A bundle is the same sources, transpiled by the same esbuild that tsx and `npm run build`
 * use, the packages of node_modules imported as they are; each of our modules keeps its
 * own import.meta.url (the plugin below), so what it finds relative to its source file
 * (dist/web, the repository's root, better-sqlite3) it finds as it does under tsx.
 *
 * Outside a run with the global setup (a script importing this), it falls back to tsx.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The entry points the tests start, by their path from the repository's root. */
export const ENTRIES = {
  'src/cli/main.ts': 'cli.mjs',
  'test/support/server-process.ts': 'server-process.mjs',
  'test/support/crash-worker.ts': 'crash-worker.mjs',
  'test/support/race-worker.ts': 'race-worker.mjs',
} as const;
export type Entry = keyof typeof ENTRIES;

/** Where the global setup put this run's bundles (set for the test workers and what they spawn). */
export const ENTRIES_DIR_ENV = 'CREDITS_TEST_ENTRIES_DIR';

/** The arguments of `node` that run `entry` (as `node --import tsx <entry>` would). */
export function nodeArgs(entry: Entry): string[] {
  const dir = process.env[ENTRIES_DIR_ENV];
  return dir ? [join(dir, ENTRIES[entry])] : ['--import', 'tsx', entry];
}

/**
 * Builds every entry into `outDir`, which must be inside the repository (the bundles import
 * the packages of node_modules by name, resolved from where they are).
 */
export async function buildEntries(outDir: string): Promise<void> {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([src, out]) => [out.replace(/\.mjs$/, ''), join(ROOT, src)])),
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    plugins: [
      {
        name: 'own-import-meta-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            return { contents: text.replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
          });
        },
      },
    ],
  });
}
