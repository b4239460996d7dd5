import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { secure } from '../src/http/route-security.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { invite } from './support/auth.ts';
import { freePort, noBrowser, openBrowser, type Browser } from './support/browser.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PAGE = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/passkey-page.js'), 'utf8');
const PASSWORD = 'violet-harbour-compass-12';

for (const target of databaseTargets()) {
  describe(`passkeys with a real browser authenticator (${target.name})`, { skip: noBrowser }, () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    let acme: Tenant;
    let browser: Browser;

    before(async () => {
      const port = await freePort();
      const publicUrl = `http://localhost:${port}`;
      t = await startTestRuntime(target, { env: { CHATVAULT_PUBLIC_URL: publicUrl } });
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      app = buildApp(t.runtime);
      app.get('/test/passkey', secure.by('public', 'a test-only probe route'), (_request, reply) =>
        reply
          .type('text/html')
          .send('<!doctype html><title>passkey test</title><script src="/test/passkey.js"></script>'),
      );
      app.get('/test/passkey.js', secure.by('public', 'a test-only probe route'), (_request, reply) =>
        reply.type('text/javascript').send(PAGE),
      );
      await app.listen({ host: '127.0.0.1', port });
      browser = await openBrowser();
      await browser.page.goto(`${publicUrl}/test/passkey`);
    });
    after(async () => {
      await browser.close();
      await app.close();
      await t.close();
    });

    test('enroll with a passkey in the browser, then sign in with password and passkey', async () => {
      const { token } = await invite(t.runtime, acme, 'owner@acme.test', 'owner');
      const enrolled = await browser.page.evaluate(
        ([tk, pw]) =>
          (
            globalThis as never as {
              cv: { enroll(a: string, b: string, c: string): Promise<{ recoveryCodes: string[] }> };
            }
          ).cv.enroll(tk!, pw!, 'Laptop'),
        [token, PASSWORD],
      );
      assert.equal(enrolled.recoveryCodes.length, 10);
      const { credentials } = await browser.cdp.send('WebAuthn.getCredentials', {
        authenticatorId: browser.authenticatorId,
      });
      assert.equal(credentials.length, 1);
      const signedIn = await browser.page.evaluate(
        ([pw]) =>
          (
            globalThis as never as { cv: { login(a: string, b: string, c: string): Promise<unknown> } }
          ).cv.login('acme', 'owner@acme.test', pw!),
        [PASSWORD],
      );
      const result = signedIn as {
        methods: string[];
        role: string;
        me: number;
        meBody: { session: { mfaMethod: string } };
      };
      assert.deepEqual(result.methods, ['webauthn', 'recovery']);
      assert.equal(result.role, 'owner');
      assert.equal(result.me, 200, 'the __Host- session cookie works in the browser on http://localhost');
      assert.equal(result.meBody.session.mfaMethod, 'webauthn');
      const passkeys = await t.runtime.auth.factors.listPasskeys(
        (await t.runtime.operators.findByEmail(acme.id, 'owner@acme.test'))!,
      );
      assert.deepEqual(
        passkeys.map((p) => p.name),
        ['Laptop'],
      );
      assert.ok(passkeys[0]!.lastUsedAt);
    });

    test('signing out in the browser ends the session', async () => {
      const status = await browser.page.evaluate(() =>
        (globalThis as never as { cv: { logout(): Promise<number> } }).cv.logout(),
      );
      assert.equal(status, 204);
      const again = await browser.page.evaluate(() => fetch('/api/v1/me').then((r) => r.status));
      assert.equal(again, 401);
    });

    test('an authenticator that does not verify the user cannot sign in', async () => {
      await browser.cdp.send('WebAuthn.setUserVerified', {
        authenticatorId: browser.authenticatorId,
        isUserVerified: false,
      });
      const error = await browser.page.evaluate(
        ([pw]) =>
          (globalThis as never as { cv: { login(a: string, b: string, c: string): Promise<unknown> } }).cv
            .login('acme', 'owner@acme.test', pw!)
            .then(
              () => 'signed in',
              (e: Error) => e.name + ': ' + e.message,
            ),
        [PASSWORD],
      );
      assert.match(error, /NotAllowedError|not accepted/);
      await browser.cdp.send('WebAuthn.setUserVerified', {
        authenticatorId: browser.authenticatorId,
        isUserVerified: true,
      });
    });
  });
}
