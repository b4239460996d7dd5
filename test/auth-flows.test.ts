import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { totpCode } from '../src/features/auth/totp.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import {
  Client,
  enrollWithTotp,
  expectStatus,
  invite,
  manualClock,
  signIn,
  type Enrolled,
} from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'quiet-meadow-lantern-47';

for (const target of databaseTargets()) {
  describe(`operator sign-in over HTTP (${target.name})`, () => {
    const clock = manualClock();
    let t: TestRuntime;
    let app: FastifyInstance;
    let acme: Tenant;
    let agent: Enrolled;
    const who = (email: string, creds: Enrolled, password = PASSWORD) => ({
      tenant: 'acme',
      email,
      password,
      seed: creds.seed,
    });

    before(async () => {
      t = await startTestRuntime(target, { clock });
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      app = buildApp(t.runtime);
      const { token } = await invite(t.runtime, acme, 'agent@acme.test', 'agent');
      agent = await enrollWithTotp(app, clock, token, PASSWORD);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('enroll with TOTP, then sign in with password and TOTP: /me answers with a fresh MFA time', async () => {
      assert.equal(agent.recoveryCodes.length, 10);
      assert.equal(new Set(agent.recoveryCodes).size, 10);
      const c = new Client(app);
      const login = await c.post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'Agent@Acme.test',
        password: PASSWORD,
      });
      expectStatus(login, 200);
      assert.equal(login.json<{ next: string }>().next, 'mfa');
      assert.deepEqual(login.json<{ methods: string[] }>().methods, ['totp', 'recovery']);
      assert.match(
        String(login.headers['set-cookie']),
        /^__Host-cv_preauth=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Strict/,
      );
      assert.equal((await c.get('/api/v1/me')).statusCode, 401, 'a pre-auth cookie is not a session');
      const mfa = await c.post('/api/v1/auth/mfa/totp', { code: totpCode(agent.seed, clock.now()) });
      expectStatus(mfa, 200);
      assert.match(
        String(mfa.headers['set-cookie']),
        /__Host-cv_session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict/,
      );
      const me = await c.get('/api/v1/me');
      expectStatus(me, 200);
      const body = me.json<{
        operator: { email: string; role: string };
        session: { mfaVerifiedAt: string };
      }>();
      assert.equal(body.operator.email, 'agent@acme.test');
      assert.equal(body.session.mfaVerifiedAt, clock.now().toISOString());
      clock.advance(30);
    });

    test('a TOTP code is refused the second time, even in a new sign-in', async () => {
      const code = totpCode(agent.seed, clock.now());
      const first = new Client(app);
      await first.post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'agent@acme.test',
        password: PASSWORD,
      });
      expectStatus(await first.post('/api/v1/auth/mfa/totp', { code }), 200);
      const second = new Client(app);
      await second.post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'agent@acme.test',
        password: PASSWORD,
      });
      const replay = await second.post('/api/v1/auth/mfa/totp', { code });
      assert.equal(replay.statusCode, 401);
      clock.advance(30);
      expectStatus(
        await second.post('/api/v1/auth/mfa/totp', { code: totpCode(agent.seed, clock.now()) }),
        200,
      );
      clock.advance(30);
    });

    test('an unknown account, an unknown tenant and a wrong password get identical answers', async () => {
      const answer = async (body: object) => {
        const res = await new Client(app).post('/api/v1/auth/login', body);
        return {
          status: res.statusCode,
          error: res.json<{ error: unknown }>().error,
          cookie: res.headers['set-cookie'],
        };
      };
      const wrong = await answer({
        tenant: 'acme',
        email: 'agent@acme.test',
        password: 'not-the-password-1',
      });
      const unknown = await answer({
        tenant: 'acme',
        email: 'nobody@acme.test',
        password: 'not-the-password-1',
      });
      const noTenant = await answer({
        tenant: 'nope',
        email: 'agent@acme.test',
        password: 'not-the-password-1',
      });
      assert.equal(wrong.status, 401);
      assert.deepEqual(unknown, wrong);
      assert.deepEqual(noTenant, wrong);
    });

    test('unknown accounts and wrong passwords take similar time (both spend one argon2id check)', async () => {
      // Interleaved and compared by each side's fastest attempt: load from other processes (the runner
      // runs two files at once) only ever adds time, so the minimum is each path's own cost. A median
      // once read 58 ms against 27 ms on a loaded CI machine while both paths spent one check.
      const attempt = async (email: string, i: number) => {
        const started = performance.now();
        await new Client(app, `10.9.${i % 2}.${i}`).post('/api/v1/auth/login', {
          tenant: 'acme',
          email,
          password: `wrong-pass-${i}x`,
        });
        return performance.now() - started;
      };
      // Both accounts' failure counters are cleared before each of the nine pairs, so no attempt ever
      // meets the lockout's back-off.
      const keys = await Promise.all(
        ['agent@acme.test', 'ghost@acme.test'].map((e) => t.runtime.auth.lockout.accountKey(acme.id, e)),
      );
      const times = { known: [] as number[], unknown: [] as number[] };
      for (let i = 0; i < 9; i++) {
        for (const key of keys) await t.runtime.auth.lockout.clear(key);
        times.known.push(await attempt('agent@acme.test', i));
        times.unknown.push(await attempt('ghost@acme.test', i));
      }
      const known = Math.min(...times.known);
      const unknown = Math.min(...times.unknown);
      assert.ok(
        unknown > known * 0.5 && unknown < known * 2,
        `known ${known.toFixed(1)} ms, unknown ${unknown.toFixed(1)} ms`,
      );
      await t.runtime.auth.lockout.clear(await t.runtime.auth.lockout.accountKey(acme.id, 'agent@acme.test'));
    });

    test('a recovery code signs in once; the same code is refused afterwards', async () => {
      const code = agent.recoveryCodes[0]!;
      const c = new Client(app);
      await c.post('/api/v1/auth/login', { tenant: 'acme', email: 'agent@acme.test', password: PASSWORD });
      expectStatus(await c.post('/api/v1/auth/mfa/recovery', { code: code.toLowerCase() }), 200);
      expectStatus(await c.get('/api/v1/me'), 200);
      const again = new Client(app);
      await again.post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'agent@acme.test',
        password: PASSWORD,
      });
      assert.equal((await again.post('/api/v1/auth/mfa/recovery', { code })).statusCode, 401);
      expectStatus(await again.post('/api/v1/auth/mfa/recovery', { code: agent.recoveryCodes[1]! }), 200);
    });

    test('a cookie-authenticated POST without the CSRF token, or from another origin, is refused', async () => {
      const c = await signIn(app, clock, who('agent@acme.test', agent));
      const bare = await c.post('/api/v1/auth/sessions/revoke-others', undefined, { csrf: false });
      assert.equal(bare.statusCode, 403);
      const wrong = await c.post('/api/v1/auth/sessions/revoke-others', undefined, {
        headers: { 'x-csrf-token': 'x'.repeat(43) },
        csrf: false,
      });
      assert.equal(wrong.statusCode, 403);
      const foreign = await c.post('/api/v1/auth/sessions/revoke-others', undefined, {
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(foreign.statusCode, 403);
      expectStatus(await c.post('/api/v1/auth/sessions/revoke-others'), 200);
      expectStatus(
        await c.post('/api/v1/auth/sessions/revoke-others', undefined, {
          headers: { origin: 'http://127.0.0.1:8080' },
        }),
        200,
      );
    });

    test('an enrollment link works once and not after 24 hours', async () => {
      const { token } = await invite(t.runtime, acme, 'late@acme.test', 'agent');
      clock.advance(24 * 3600 + 1);
      assert.equal((await new Client(app).post('/api/v1/auth/enroll/start', { token })).statusCode, 401);
      const { token: fresh } = await invite(t.runtime, acme, 'once@acme.test', 'agent');
      expectStatus(await new Client(app).post('/api/v1/auth/enroll/start', { token: fresh }), 200);
      assert.equal(
        (await new Client(app).post('/api/v1/auth/enroll/start', { token: fresh })).statusCode,
        401,
      );
    });

    test('an operator is not active, and cannot sign in, until password and second factor are set', async () => {
      const { token } = await invite(t.runtime, acme, 'half@acme.test', 'agent');
      const c = new Client(app);
      expectStatus(await c.post('/api/v1/auth/enroll/start', { token }), 200);
      const weak = await c.post('/api/v1/auth/enroll/password', { password: 'acme1234' });
      assert.equal(weak.statusCode, 400);
      expectStatus(await c.post('/api/v1/auth/enroll/password', { password: PASSWORD }), 204);
      assert.equal((await c.post('/api/v1/auth/enroll/finish', {})).statusCode, 409);
      const login = await new Client(app).post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'half@acme.test',
        password: PASSWORD,
      });
      assert.equal(login.statusCode, 401);
    });

    test('every answer carries the security headers; API answers are never cached', async () => {
      for (const res of [
        await app.inject('/api/v1/me'),
        await app.inject('/healthz'),
        await app.inject('/nope'),
      ]) {
        assert.match(String(res.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
        assert.doesNotMatch(String(res.headers['content-security-policy']), /unsafe-inline/);
        assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/);
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.equal(res.headers['referrer-policy'], 'no-referrer');
        assert.equal(res.headers['cache-control'], 'no-store');
      }
    });
  });
}
