/**
 * The first load, as a visitor on a slow mobile connection gets it: the server's own static
 * serving (not a proxy) sends the precompressed assets, the first page loads none of the
 * administration, charts or card-form code, and under Chromium's "Slow 4G" network profile
 * (DevTools' preset: 562.5 ms round trip, 1.44 Mbit/s down, 675 kbit/s up) the first
 * contentful paint comes in under 2 s. The size budget itself is enforced by the build
 * (scripts/web-assets.mjs), which ensureBuild runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST, ensureBuild, launchChromium, newPage, runBrowserTests } from '../support/browser.js';
import { type TestServer, startTestServer } from '../support/server.js';

const SLOW_4G = {
  offline: false,
  latency: 562.5,
  downloadThroughput: (1.6 * 1000 * 1000 * 0.9) / 8,
  uploadThroughput: (750 * 1000 * 0.9) / 8,
};

describe.runIf(runBrowserTests)('first load', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ensureBuild();
    server = await startTestServer('sqlite');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('serves the page itself compressed too, with its stylesheet inline', async () => {
    for (const [accept, encoding] of [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['', undefined],
    ] as const) {
      const res = await fetch(`${server.url}/signin`, { headers: { 'accept-encoding': accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding') ?? undefined).toBe(encoding);
      expect(res.headers.get('vary')?.toLowerCase()).toContain('accept-encoding');
      const html = await res.text();
      expect(html).toContain('<style>');
      expect(html).not.toMatch(/rel="stylesheet"/);
    }
  });

  it('serves the assets precompressed, brotli or gzip as the client accepts, and plain otherwise', async () => {
    const index = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
    const entry = /<script[^>]*\ssrc="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(entry).toBeTruthy();
    const plain = readFileSync(join(WEB_DIST, entry as string));
    for (const [accept, encoding] of [
      ['br, gzip', 'br'],
      ['gzip', 'gzip'],
      ['identity', undefined],
    ] as const) {
      const res = await fetch(server.url + entry, { headers: { 'accept-encoding': accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding') ?? undefined).toBe(encoding);
      expect(res.headers.get('vary')?.toLowerCase()).toContain('accept-encoding');
      expect(res.headers.get('cache-control')).toContain('immutable');
      // fetch decodes the body: whatever was sent, the script is the same.
      expect(Buffer.from(await res.arrayBuffer()).equals(plain)).toBe(true);
    }
  });

  it('paints the first page in under 2 s on slow 4G, loading no admin, chart or card-form code', async () => {
    const errors: string[] = [];
    const { context, page } = await newPage(browser, 'load', errors);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
    const scripts: { url: string; encoding: string | undefined }[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('.js')) scripts.push({ url: r.url(), encoding: r.headers()['content-encoding'] });
    });
    await page.goto(`${server.url}/signin`, { waitUntil: 'load' });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const fcp = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const seen = performance.getEntriesByName('first-contentful-paint')[0];
          if (seen) return resolve(seen.startTime);
          new PerformanceObserver((list) => {
            const e = list.getEntriesByName('first-contentful-paint')[0];
            if (e) resolve(e.startTime);
          }).observe({ type: 'paint', buffered: true });
        }),
    );
    const ready = await page.evaluate(() => performance.now());
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return {
        responseStart: Math.round(n.responseStart),
        responseEnd: Math.round(n.responseEnd),
        domInteractive: Math.round(n.domInteractive),
      };
    });
    console.log(`[load] navigation: ${JSON.stringify(nav)}`);
    console.log(
      `[load] slow 4G: first contentful paint ${Math.round(fcp)} ms, sign-in form ready by ${Math.round(ready)} ms; ${scripts.length} scripts`,
    );
    expect(fcp).toBeLessThan(2000);
    expect(scripts.length).toBeGreaterThan(0);
    // Every script comes brotli-compressed, except one so small that brotli would make it
    // larger: the build (scripts/web-assets.mjs) keeps no .br of those, and it is sent plain.
    for (const s of scripts) {
      const file = join(WEB_DIST, new URL(s.url).pathname);
      if (existsSync(`${file}.br`)) expect(s.encoding, s.url).toBe('br');
      else expect(readFileSync(file).length, s.url).toBeLessThan(1024);
    }
    // The sign-in page needs exactly what index.html names (the entry and its preloads), and
    // none of that is the charts library or Stripe's card form.
    const index = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
    const firstPage = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1] as string);
    expect(scripts.map((s) => new URL(s.url).pathname).sort()).toEqual([...firstPage].sort());
    for (const f of firstPage) {
      const code = readFileSync(join(WEB_DIST, f), 'utf8');
      expect(code, f).not.toContain('recharts-wrapper');
      expect(code, f).not.toContain('js.stripe.com');
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
