/**
 * The Node.js versions package.json promises are ones every installed dependency accepts,
 * so `npm ci` prints no EBADENGINE warning on any of them (and, with engine-strict in
 * .npmrc, refuses a Node.js the project does not run on instead of warning).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

describe('the Node.js engine', () => {
  const range = pkg.engines.node;

  it('is a valid range that the running Node.js satisfies', () => {
    expect(semver.validRange(range)).not.toBeNull();
    expect(semver.satisfies(process.versions.node, range)).toBe(true);
  });

  it('is accepted by every installed dependency', () => {
    const refusing: string[] = [];
    let checked = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      // Platform-specific optional packages of other systems are in the lock but not installed.
      if (!path || !existsSync(join(ROOT, path))) continue;
      const wanted = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      if (!wanted) continue;
      checked++;
      if (!semver.validRange(wanted) || !semver.subset(range, wanted)) refusing.push(`${path}@${entry.version}: node ${wanted}`);
    }
    expect(checked).toBeGreaterThan(10);
    expect(refusing).toEqual([]);
  });

  it('is enforced by npm and stated in the README', () => {
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(range);
  });
});
