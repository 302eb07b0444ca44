/**
 * The documentation names only what exists: every relative link and every repository
 * path in backticks (`src/...`, `test/...`, `docs/...`, `deploy/...`) in README.md and docs/*.md is
 * a file or folder of the repository, and no page points outside it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('the documentation', () => {
  it.each(PAGES)('%s names only files of the repository', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8');
    const missing: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      if (!existsSync(normalize(join(ROOT, dirname(page), target)))) missing.push(`link ${target}`);
    }
    for (const [, path] of text.matchAll(/`((?:src|test|docs|bench|scripts|bin|deploy|\.ci)\/[^`\s*<]*)`/g)) {
      const p = (path ?? '').replace(/[.,;:]$/, '');
      if (!existsSync(join(ROOT, p))) missing.push(`path ${p}`);
    }
    expect(missing).toEqual([]);
    expect(text).not.toMatch(/\/work\/|\/home\/|\/tmp\/[a-z]/);
  });
});
