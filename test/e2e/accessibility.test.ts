/**
 * Every page of the dashboard against an automated WCAG 2.1 AA audit (axe-core, injected
 * into the page), in the light theme and in the dark one (the system setting, emulated):
 * no serious or critical finding in either (shared/UI.md). Pages are audited with their
 * data loaded: a user with purchases and usage, and an admin.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, ensureBuild, launchChromium, runBrowserTests } from '../support/browser.js';
import { type TestServer, startTestServer } from '../support/server.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SHOTS = join(tmpdir(), 'credits-a11y-screenshots');

const USER_PAGES = ['/platform', '/credits', '/team'];
/** The pages again with the user's organisation chosen in the header's "Account" select (its team, its shared balance). */
const ORG_PAGES = ['/team', '/credits'];
const PUBLIC_PAGES = ['/signin', '/signup', '/pricing'];

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

async function audit(page: Page): Promise<Finding[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is the global the injected script defines.
    const axe = (window as any).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return (r.violations as { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[]).map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

describe.runIf(runBrowserTests)('accessibility (axe-core, WCAG 2.1 AA)', () => {
  let server: TestServer;
  let browser: Browser;
  let userToken: string;
  let colleagueToken: string;
  let adminToken: string;
  let orgId: string;

  beforeAll(async () => {
    ensureBuild();
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer('sqlite');
    browser = await launchChromium();
    const user = await server.register({ name: 'Dana Reader' });
    await server.grant(user.user.id, 1234.5);
    const sent = await user.api.request('POST', '/api/messages', {
      body: { to: '+15551234567', body: 'Hello' },
      headers: { 'idempotency-key': 'a11y-message' },
    });
    expect(sent.status).toBe(201);
    userToken = user.token;
    orgId = (await user.api.post('/api/orgs', { name: 'Dana’s Agency' })).body.organization.id;
    const colleague = await server.register({ name: 'Cole League' });
    const invitation = await user.api.post(`/api/orgs/${orgId}/invitations`, { email: colleague.user.email, role: 'member' });
    expect((await colleague.api.post(`/api/invitations/${invitation.body.invitation.token}/accept`)).status).toBe(200);
    expect((await user.api.patch(`/api/orgs/${orgId}/members/${colleague.user.id}`, { monthlyLimit: 50 })).status).toBe(200);
    // One invitation left pending: the owner's team page lists it under "Pending invitations".
    expect((await user.api.post(`/api/orgs/${orgId}/invitations`, { email: 'pending@example.com', role: 'admin' })).status).toBe(201);
    colleagueToken = colleague.token;
    adminToken = (await server.userWithRole('admin')).token;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`finds nothing serious on any page in the ${scheme} theme`, async () => {
      const found: Record<string, Finding[]> = {};
      const visit = async (paths: string[] | 'admin', token: string | null, account?: string, as = '/org') => {
        // bypassCSP: the audit script is injected inline, which the service's policy rightly refuses.
        const context = await browser.newContext({
          viewport: DESKTOP,
          colorScheme: scheme,
          locale: 'en-US',
          timezoneId: 'UTC',
          bypassCSP: true,
        });
        if (token) await context.addInitScript((t) => localStorage.setItem('credits.token', t), token);
        if (account) await context.addInitScript((a) => localStorage.setItem('credits.account', a), account);
        const page = await context.newPage();
        page.setDefaultTimeout(30_000);
        if (paths === 'admin') {
          // Every page the administration's navigation links to, so a new page is audited too.
          await page.goto(`${server.url}/admin/users`);
          const nav = page.getByRole('navigation', { name: 'Administration' }).getByRole('link');
          await nav.first().waitFor();
          paths = await nav.evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
          expect(paths.length).toBeGreaterThanOrEqual(6);
        }
        for (const path of paths) {
          await page.goto(server.url + path);
          await page.locator('h1').first().waitFor();
          // Audit the page with its data, not its loading states.
          await page.waitForFunction(() => !/Loading|Checking your access/.test(document.body.innerText), undefined, { timeout: 30_000 });
          expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(scheme === 'dark');
          // The page follows the setting: dark text on a light page, light text on a dark one.
          const lightness = await page.evaluate(() => {
            const l = (c: string) => {
              const [r = 0, g = 0, b = 0] = (c.match(/\d+(\.\d+)?/g) ?? []).map(Number);
              return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
            };
            const style = getComputedStyle(document.body);
            return { page: l(style.backgroundColor), text: l(style.color) };
          });
          if (scheme === 'dark') expect(lightness.page < 0.2 && lightness.text > 0.8, `${path}: ${JSON.stringify(lightness)}`).toBe(true);
          else expect(lightness.page > 0.8 && lightness.text < 0.2, `${path}: ${JSON.stringify(lightness)}`).toBe(true);
          const findings = await audit(page);
          // A picture of each page in each theme, for a person to look at (not compared).
          const name = `${account ? as : ''}${path}`;
          await page.screenshot({ path: join(SHOTS, `${scheme}${name.replaceAll('/', '-')}.png`), fullPage: true });
          if (findings.length) found[name] = findings;
        }
        await context.close();
      };
      await visit(PUBLIC_PAGES, null);
      await visit(USER_PAGES, userToken);
      await visit(ORG_PAGES, userToken, orgId);
      // The team page as a plain member of the organisation sees it: read-only.
      await visit(['/team'], colleagueToken, orgId, '/org-member');
      await visit('admin', adminToken);
      expect(found).toEqual({});
      // Every page twice over (the organisation's too) on a shared machine: more than the default two minutes.
    }, 300_000);
  }
});
