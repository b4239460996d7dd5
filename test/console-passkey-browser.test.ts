import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { ensureConsoleBuilt } from '../src/features/console/build.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { en } from '../web/src/i18n/en.ts';
import { zh } from '../web/src/i18n/zh.ts';
import { invite } from './support/auth.ts';
import { freePort, noBrowser, openBrowser, screenshot, type Browser } from './support/browser.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'amber-lantern-voyage-2031';

/** English words of the dictionary that differ in Chinese, as whole-word patterns. */
export function englishFragments(): RegExp[] {
  const fragments = new Set<string>();
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    if (en[key] === zh[key]) continue;
    for (const part of en[key].split(/\{\w+\}/)) {
      const text = part.trim().replace(/^[:(·.,\s]+|[:).,…\s]+$/g, '');
      if (/[A-Za-z]{3,}/.test(text)) fragments.add(text);
    }
  }
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [...fragments].map((f) => new RegExp(`(^|[^A-Za-z])${escape(f)}([^A-Za-z]|$)`));
}

// Browser tests run on SQLite only: the API they drive is tested on both databases elsewhere.
const [target] = databaseTargets();

describe(
  `the console: enrollment with a passkey and the language switch (${target!.name})`,
  { skip: noBrowser },
  () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    let acme: Tenant;
    let browser: Browser;
    let publicUrl = '';

    before(async () => {
      await ensureConsoleBuilt({ whenStale: true });
      const port = await freePort();
      publicUrl = `http://localhost:${port}`;
      t = await startTestRuntime(target!, { env: { CHATVAULT_PUBLIC_URL: publicUrl } });
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      app = buildApp(t.runtime);
      await app.listen({ host: '127.0.0.1', port });
      browser = await openBrowser();
    });
    after(async () => {
      await browser?.close();
      await app?.close();
      await t?.close();
    });

    test('enroll through the console with a passkey, sign out, and sign in with it', async () => {
      const { page } = browser;
      const { url } = await invite(t.runtime, acme, 'owner@acme.test', 'owner');
      await page.goto(url.replace(/^http:\/\/[^/]+/, publicUrl));
      await page.getByLabel('New password').fill(PASSWORD);
      assert.equal(new URL(page.url()).hash, '', 'the one-time token leaves the address bar');
      await page.getByLabel('Repeat the password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('Name for this passkey').fill('Test laptop');
      await page.getByRole('button', { name: 'Create passkey' }).click();
      await page.getByTestId('recovery-codes').waitFor();
      assert.equal(await page.getByTestId('recovery-codes').locator('li').count(), 10);
      await screenshot(page, 'enroll-recovery-codes');
      const { credentials } = await browser.cdp.send('WebAuthn.getCredentials', {
        authenticatorId: browser.authenticatorId,
      });
      assert.equal(credentials.length, 1);
      await page.getByLabel('I have saved my recovery codes').check();
      await page.getByRole('button', { name: 'Go to sign-in' }).click();

      const signIn = async () => {
        assert.equal(await page.getByLabel('Workspace').inputValue(), 'acme');
        await page.getByLabel('E-mail').fill('owner@acme.test');
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('button', { name: 'Use my passkey' }).click();
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
      };
      await signIn();
      assert.match(new URL(page.url()).pathname, /^\/inbox/);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You have signed out.').waitFor();
      assert.equal(await page.evaluate(() => fetch('/api/v1/me').then((r) => r.status)), 401);
      await screenshot(page, 'sign-in');
      await signIn();
      const me = await page.evaluate(() =>
        fetch('/api/v1/me').then((r) => r.json() as Promise<{ session: { mfaMethod: string } }>),
      );
      assert.equal(me.session.mfaMethod, 'webauthn');
    });

    test('the language switch turns the whole visible page into Chinese', async () => {
      const { page } = browser;
      await page.goto(`${publicUrl}/team`);
      await page.getByRole('heading', { name: 'Team' }).waitFor();
      await page.getByTestId('language').selectOption('zh-CN');
      await page.getByRole('heading', { name: '团队' }).waitFor();
      await screenshot(page, 'team-zh');
      const text = String(await page.evaluate('document.body.innerText'));
      const left = englishFragments().filter((re) => re.test(text));
      assert.deepEqual(left.map(String), [], 'no English string of the dictionary remains');
      assert.equal(await page.evaluate('document.title'), 'ChatVault');
      assert.equal(await page.evaluate('document.documentElement.lang'), 'zh-CN');
      await page.getByTestId('language').selectOption('en');
      await page.getByRole('heading', { name: 'Team' }).waitFor();
    });

    test('the console is served under the strict CSP with no inline script, and server paths keep their JSON 404', async () => {
      const res = await fetch(`${publicUrl}/inbox/some-client-route`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const html = await res.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is external');
      const api = await fetch(`${publicUrl}/api/v1/nothing-here`);
      assert.equal(api.status, 404);
      assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'not_found');
      const violations: string[] = [];
      browser.page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await browser.page.goto(`${publicUrl}/access`);
      await browser.page.getByRole('heading', { name: 'Access', exact: true }).waitFor();
      assert.deepEqual(violations, []);
    });
  },
);
