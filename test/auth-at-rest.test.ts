import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { totpCode } from '../src/features/auth/totp.ts';
import { Client, enrollWithTotp, expectStatus, invite, manualClock, signIn } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { encodings, postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'copper-lighthouse-saffron-31';
const NEW_PASSWORD = 'ember-glacier-tandem-64';

/** Which of the named secrets appear in the bytes, in any common encoding (names only, never values). */
function leaked(bytes: Buffer, secrets: Map<string, string | Buffer>): string[] {
  const found: string[] = [];
  for (const [name, secret] of secrets) {
    const forms =
      typeof secret === 'string'
        ? encodings(secret)
        : [
            secret,
            Buffer.from(secret.toString('hex')),
            Buffer.from(secret.toString('base64').replace(/=+$/, '')),
          ];
    if (forms.some((form) => bytes.includes(form))) found.push(name);
  }
  return found;
}

for (const target of databaseTargets()) {
  describe(`sign-in secrets at rest and in logs (${target.name})`, () => {
    const clock = manualClock();
    let t: TestRuntime;
    const secrets = new Map<string, string | Buffer>();

    before(async () => {
      t = await startTestRuntime(target, { clock });
      const acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      const app = buildApp(t.runtime);
      const { token } = await invite(t.runtime, acme, 'agent@acme.test', 'agent');
      secrets.set('enrollment token', token);
      secrets.set('password', PASSWORD);
      secrets.set('new password', NEW_PASSWORD);
      const creds = await enrollWithTotp(app, clock, token, PASSWORD);
      secrets.set('totp seed', creds.seed);
      secrets.set('totp seed (base32)', creds.base32);
      creds.recoveryCodes.forEach((code, i) => {
        secrets.set(`recovery code ${i}`, code);
        secrets.set(`recovery code ${i} (bare)`, code.replace(/-/g, ''));
      });

      // Failed attempts put the secrets into request bodies that the logs must not echo.
      await new Client(app).post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'agent@acme.test',
        password: NEW_PASSWORD,
      });
      const pre = new Client(app);
      expectStatus(
        await pre.post('/api/v1/auth/login', {
          tenant: 'acme',
          email: 'agent@acme.test',
          password: PASSWORD,
        }),
        200,
      );
      secrets.set('pre-auth secret', pre.cookies.get('__Host-cv_preauth')!);
      secrets.set('pre-auth csrf token', pre.csrf!);
      expectStatus(await pre.post('/api/v1/auth/mfa/recovery', { code: creds.recoveryCodes[0] }), 200);
      const replay = new Client(app);
      await replay.post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'agent@acme.test',
        password: PASSWORD,
      });
      expectStatus(await replay.post('/api/v1/auth/mfa/recovery', { code: creds.recoveryCodes[0] }), 401);

      const c = await signIn(app, clock, {
        tenant: 'acme',
        email: 'agent@acme.test',
        password: PASSWORD,
        seed: creds.seed,
      });
      secrets.set('session secret', c.cookies.get('__Host-cv_session')!);
      secrets.set('csrf token', c.csrf!);
      await c.post('/api/v1/auth/step-up/totp', { code: totpCode(creds.seed, clock.now()) });
      secrets.set('stepped-up session secret', c.cookies.get('__Host-cv_session')!);
      expectStatus(
        await c.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
        200,
      );
      secrets.set('session secret after password change', c.cookies.get('__Host-cv_session')!);
      expectStatus(await c.post('/api/v1/auth/logout'), 204);
      await app.close();
      await t.runtime.audit.sequence();
    });
    after(() => t.close());

    test('no password, TOTP seed, recovery code, session id or token is in the database', () => {
      const bytes =
        target.name === 'sqlite'
          ? sqliteBytes(t.dataDir)
          : postgresDump(t.env.CHATVAULT_DATABASE_URL!, t.env.CHATVAULT_DATABASE_SCHEMA!);
      assert.ok(
        bytes.includes(Buffer.from('$argon2id$v=19$m=19456,t=2,p=1$')),
        'the scan covers the password table',
      );
      assert.deepEqual(leaked(bytes, secrets), []);
    });

    test('every authentication event went to the audit log', async () => {
      const rows = await t.runtime.database.db
        .selectFrom('audit_entries')
        .select(['action', 'outcome'])
        .execute();
      const seen = new Set(rows.map((r) => `${r.action}:${r.outcome}`));
      for (const expected of [
        'authn_login_fail:failure',
        'authn_login_success:success',
        'authn_mfa_fail:failure',
        'authn_mfa_success:success',
        'authn_mfa_enabled:success',
        'authn_recovery_code_used:success',
        'authn_password_change:success',
        'authn_logout:success',
        'user_created:success',
      ]) {
        assert.ok(seen.has(expected), expected);
      }
    });

    test('no password, TOTP seed, recovery code, session id or token is in the logs', () => {
      const logged = Buffer.from(t.logs.join(''));
      assert.ok(logged.includes(Buffer.from('/api/v1/auth/login')), 'requests were logged at debug level');
      assert.deepEqual(leaked(logged, secrets), []);
    });
  });
}
