/**
 * The account pages in Chromium, with mail through a local SMTP server: the password
 * policy's sentence under the sign-up field, "verify your email" from sign-up to the
 * mailed link (with the withheld sign-up bonus), "Forgot password?" (shown only when mail
 * is configured) and "reset password" with the mailed link. Any console error fails it.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuild, launchChromium, newPage, runBrowserTests, screenshotPath } from '../support/browser.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type LocalSmtp, startSmtp } from '../support/smtp.js';

/** The text of the elements that describe an input (aria-describedby). */
async function description(input: Locator): Promise<string> {
  const ids = (await input.getAttribute('aria-describedby'))?.split(/\s+/) ?? [];
  const page = input.page();
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

/** Waits until the input's own description (the text under it) matches `text`, and it is marked invalid. */
async function expectFieldError(page: Page, label: string, text: RegExp): Promise<void> {
  const input = page.getByLabel(label, { exact: true });
  const end = Date.now() + 15_000;
  let seen = '';
  while (!text.test((seen = await description(input)))) {
    if (Date.now() > end) throw new Error(`${label}: expected ${text} under the field, saw "${seen}"`);
    await page.waitForTimeout(50);
  }
  expect(await input.getAttribute('aria-invalid')).toBe('true');
}

/** Console errors but Chromium's notes on the 4xx answers these flows provoke on purpose. */
function unexpected(errors: string[]): string[] {
  return errors.filter((e) => !/Failed to load resource: the server responded with a status of 40[03]/.test(e));
}

/** The dashboard link in the newest mail to `to`, made relative to the server under test. */
function mailedLink(mail: { text: string }, page: 'verify-email' | 'reset-password', base: string): string {
  const m = new RegExp(`https?://[^\\s/]+(/${page}#token=[A-Za-z0-9_-]+)`).exec(mail.text);
  if (!m) throw new Error(`no ${page} link in ${mail.text}`);
  return base + (m[1] as string);
}

describe.runIf(runBrowserTests)('account pages in Chromium', () => {
  let smtp: LocalSmtp;
  let s: TestServer;
  let plain: TestServer;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    ensureBuild();
    smtp = await startSmtp();
    // Production's password policy (the sentences under the fields below).
    s = await startTestServer('sqlite', {
      SMTP_URL: smtp.url,
      REQUIRE_EMAIL_VERIFICATION: 'true',
      SIGNUP_BONUS_CREDITS: '25',
      PASSWORD_MIN_SCORE: '3',
    });
    plain = await startTestServer('sqlite', { PASSWORD_MIN_SCORE: '3' });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    await plain?.stop();
    await smtp?.close();
  });

  it('refuses a common password under the field, then verifies the email from the mailed link', async () => {
    const email = `pages-${Date.now()}@example.com`;
    const { page } = await newPage(browser, 'signup', errors);
    await page.goto(`${s.url}/signup`);
    await page.getByLabel('Name').fill('Paula Pages');
    await page.getByLabel('Email').fill(email);
    for (const [weak, why] of [
      ['password', /Password is too easy to guess\. This is a heavily used password/],
      ['        ', /Password cannot be only spaces/],
      ['12345678', /Password is too easy to guess\. This is a heavily used password/],
    ] as const) {
      await page.getByLabel('Password').fill(weak);
      await page.getByRole('button', { name: 'Create account' }).click();
      await expectFieldError(page, 'Password', why);
    }
    expect(page.url()).toBe(`${s.url}/signup`);
    await page.screenshot({ path: screenshotPath('signup-password-policy.png'), animations: 'disabled' });

    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${s.url}/verify-email`);
    await page.getByRole('heading', { name: 'Verify your email' }).waitFor();
    await page.getByText(`We sent a link to ${email}`).waitFor();

    // Signing in before verifying says what to do.
    const { page: early } = await newPage(browser, 'early', errors);
    await early.goto(`${s.url}/signin`);
    await early.getByLabel('Email').fill(email);
    await early.getByLabel('Password').fill(TEST_PASSWORD);
    await early.getByRole('button', { name: 'Sign in' }).click();
    await early.getByText('Verify your email address first').waitFor();
    await early.getByRole('link', { name: 'Send the verification link again' }).waitFor();

    const mail = await smtp.waitFor(email, /Verify your email/);
    await page.goto(mailedLink(mail, 'verify-email', s.url));
    await page.waitForURL(`${s.url}/credits`);
    await page.locator('[aria-label="Credit balance"]', { hasText: /^25$/ }).waitFor();
    expect(unexpected(errors)).toEqual([]);
  });

  it('offers "Forgot password?" only with mail configured, and resets through the mailed link', async () => {
    const { page: noMail } = await newPage(browser, 'no-mail', errors);
    await noMail.goto(`${plain.url}/signin`);
    await noMail.getByRole('button', { name: 'Sign in' }).waitFor();
    await noMail.waitForLoadState('networkidle');
    expect(await noMail.getByRole('link', { name: 'Forgot password?' }).count()).toBe(0);

    const email = `forgot-${Date.now()}@example.com`;
    await s.api.post('/api/auth/register', { email, password: TEST_PASSWORD, name: 'Forgetful' });
    await s.api.post('/api/auth/verify-email', { token: /#token=([A-Za-z0-9_-]+)/.exec((await smtp.waitFor(email, /Verify/)).text)?.[1] });

    const { page } = await newPage(browser, 'forgot', errors);
    await page.goto(`${s.url}/signin`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL(`${s.url}/forgot-password`);
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText('a mail with a link is on its way').waitFor();

    const mail = await smtp.waitFor(email, /Reset your password/);
    await page.goto(mailedLink(mail, 'reset-password', s.url));
    await page.getByRole('heading', { name: 'Reset password' }).waitFor();
    await page.getByLabel('New password').fill('qwertyuiop');
    await page.getByRole('button', { name: 'Set password' }).click();
    await expectFieldError(page, 'New password', /Password is too easy to guess/);
    await page.getByLabel('New password').fill('amber-Kestrel-violin-92');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(`${s.url}/credits`);
    expect((await s.api.post('/api/auth/login', { email, password: 'amber-Kestrel-violin-92' })).status).toBe(200);
    expect(unexpected(errors)).toEqual([]);
  });
});
