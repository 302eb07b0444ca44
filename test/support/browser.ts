/**
 * What the browser tests share: the dashboard build (made when dist/web is missing or
 * older than src/web or src/contracts, which it bundles) and headless Chromium at /usr/bin/chromium through playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { TEST_PASSWORD } from './factories.js';
import { type TestServer, startTestServer } from './server.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_SRC = join(ROOT, 'src/web');
const CONTRACTS_SRC = join(ROOT, 'src/contracts');
export const WEB_DIST = join(ROOT, 'dist/web');
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/**
 * Where the browser tests write their screenshots: a folder of the system's temp folder, so
 * a test run leaves the repository alone; `npm run screenshots` sets SCREENSHOTS_DIR to
 * docs/screenshots (a path from the repository's root, or absolute) to refresh the docs' pictures.
 */
export const SHOTS_DIR = process.env.SCREENSHOTS_DIR
  ? isAbsolute(process.env.SCREENSHOTS_DIR)
    ? process.env.SCREENSHOTS_DIR
    : join(ROOT, process.env.SCREENSHOTS_DIR)
  : join(tmpdir(), 'credits-screenshots');

/** The path of the screenshot `file` (`dashboard-desktop.png`) in SHOTS_DIR, the folder made if need be. */
export function screenshotPath(file: string): string {
  mkdirSync(SHOTS_DIR, { recursive: true });
  return join(SHOTS_DIR, file);
}

/** Browser tests run where Chromium is, and must run in CI. */
export const runBrowserTests = hasChromium || !!process.env.CI;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Builds the dashboard unless dist/web is newer than every source file. */
export function ensureBuild(): void {
  const index = join(WEB_DIST, 'index.html');
  const sources = Math.max(
    newestMtime(WEB_SRC),
    newestMtime(CONTRACTS_SRC),
    statSync(join(ROOT, 'vite.config.ts')).mtimeMs,
    statSync(join(ROOT, 'scripts/web-assets.mjs')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    timeout: 120_000,
    // Vitest sets NODE_ENV=test, which would make vite emit a development build of React.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  // As `npm run build:web`: precompress the assets and hold the first page to its budget.
  execFileSync(process.execPath, [join(ROOT, 'scripts/web-assets.mjs')], { cwd: ROOT, stdio: 'inherit', timeout: 120_000 });
}

/** Headless Chromium with the flags this machine needs (no background networking). */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium) throw new Error(`${CHROMIUM} is missing; the browser tests cannot run in CI without it.`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };

/** A page in a fresh context; console errors and page errors are pushed to `errors`. */
export async function newPage(browser: Browser, label: string, errors: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`[${label}] console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`[${label}] page error: ${e.message}`));
  return { context, page };
}

/**
 * Signs in through the form of the sign-in page the page is on (navigated to, or redirected
 * to), and waits until the session is up: the page has left /signin and the header shows the
 * balance.
 */
export async function signIn(page: Page, email: string, password = TEST_PASSWORD): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  await page.getByRole('status', { name: 'Credit balance' }).waitFor();
}

/** What `browserSuite` sets up: read `s` and `browser` inside the tests (they exist once `beforeAll` has run). */
export interface BrowserSuite {
  readonly s: TestServer;
  readonly browser: Browser;
  /** The console and page errors of every page opened with `newPage(…, errors)`: a test ends expecting none. */
  readonly errors: string[];
}

/**
 * Registers, in the `describe` it is called in, the hooks a browser test of one server
 * shares: `beforeAll` builds the dashboard if need be, starts a SQLite test server (with
 * `env`) and Chromium; `afterAll` closes both.
 */
export function browserSuite(env: Record<string, string> = {}, timeout = 120_000): BrowserSuite {
  let s: TestServer | undefined;
  let browser: Browser | undefined;
  const errors: string[] = [];
  beforeAll(async () => {
    ensureBuild();
    s = await startTestServer('sqlite', env);
    browser = await launchChromium();
  }, timeout);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });
  const started = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`the browser suite's ${what} is not started (read it inside a test)`);
    return value;
  };
  return {
    get s() {
      return started('server', s);
    },
    get browser() {
      return started('browser', browser);
    },
    errors,
  };
}
