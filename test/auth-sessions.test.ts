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
  describe(`operator sessions over HTTP (${target.name})`, () => {
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

    test('a stolen session cookie stops working after logout', async () => {
      const c = await signIn(app, clock, who('agent@acme.test', agent));
      const thief = new Client(app, '203.0.113.9');
      for (const [k, v] of c.cookies) thief.cookies.set(k, v);
      expectStatus(await thief.get('/api/v1/me'), 200);
      expectStatus(await c.post('/api/v1/auth/logout'), 204);
      assert.equal(c.cookies.size, 0, 'the browser is told to drop the cookie');
      assert.equal((await thief.get('/api/v1/me')).statusCode, 401);
    });

    test('sessions end after 30 minutes idle and after 12 hours in any case', async () => {
      const c = await signIn(app, clock, who('agent@acme.test', agent));
      clock.advance(29 * 60);
      expectStatus(await c.get('/api/v1/me'), 200);
      clock.advance(29 * 60);
      expectStatus(await c.get('/api/v1/me'), 200);
      clock.advance(31 * 60);
      assert.equal((await c.get('/api/v1/me')).statusCode, 401);
      const d = await signIn(app, clock, who('agent@acme.test', agent));
      for (let i = 0; i < 25; i++) {
        clock.advance(29 * 60);
        if ((await d.get('/api/v1/me')).statusCode !== 200) break;
      }
      assert.equal((await d.get('/api/v1/me')).statusCode, 401);
    });

    test('an admin disables an operator: their sessions stop working on the next request', async () => {
      const { token } = await invite(t.runtime, acme, 'admin@acme.test', 'admin');
      const adminCreds = await enrollWithTotp(app, clock, token, PASSWORD);
      const { token: token2 } = await invite(t.runtime, acme, 'temp@acme.test', 'agent');
      const tempCreds = await enrollWithTotp(app, clock, token2, PASSWORD);
      const temp = await signIn(app, clock, who('temp@acme.test', tempCreds));
      const admin = await signIn(app, clock, who('admin@acme.test', adminCreds));
      expectStatus(await temp.get('/api/v1/me'), 200);
      const id = (await temp.get('/api/v1/me')).json<{ operator: { id: string } }>().operator.id;
      expectStatus(await admin.post(`/api/v1/operators/${id}/disable`), 204);
      assert.equal((await temp.get('/api/v1/me')).statusCode, 401);
      const again = await new Client(app).post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'temp@acme.test',
        password: PASSWORD,
      });
      assert.equal(again.statusCode, 401);
    });

    test('admins create operators over the API with a fresh second factor; only owners create owners', async () => {
      const adminCreds = await enrollWithTotp(
        app,
        clock,
        (await invite(t.runtime, acme, 'admin2@acme.test', 'admin')).token,
        PASSWORD,
      );
      const admin = await signIn(app, clock, who('admin2@acme.test', adminCreds));
      const created = await admin.post('/api/v1/operators', { email: 'new@acme.test', role: 'marketer' });
      expectStatus(created, 201);
      const body = created.json<{ enrollmentUrl: string; operator: { email: string; status: string } }>();
      assert.match(body.enrollmentUrl, /\/enroll#token=[A-Za-z0-9_-]{43}$/);
      assert.equal(body.operator.status, 'pending');
      assert.notEqual(body.operator.email, 'new@acme.test', 'masked');
      const owner = await admin.post('/api/v1/operators', { email: 'boss@acme.test', role: 'owner' });
      assert.equal(owner.statusCode, 403);
      const agentSession = await signIn(app, clock, who('agent@acme.test', agent));
      assert.equal(
        (await agentSession.post('/api/v1/operators', { email: 'x@acme.test', role: 'agent' })).statusCode,
        403,
      );
      clock.advance(6 * 60);
      const stale = await admin.post('/api/v1/operators', { email: 'late@acme.test', role: 'agent' });
      assert.equal(stale.json<{ error: { code: string } }>().error.code, 'step_up_required');
      const agentId = (await agentSession.get('/api/v1/me')).json<{ operator: { id: string } }>().operator.id;
      const revoked = await admin.post(`/api/v1/operators/${agentId}/sessions/revoke`);
      expectStatus(revoked, 200);
      assert.ok(revoked.json<{ revoked: number }>().revoked >= 1);
      assert.equal((await agentSession.get('/api/v1/me')).statusCode, 401);
      clock.advance(30);
    });

    test("a session also ends when the operator is disabled behind auth's back", async () => {
      const c = await signIn(app, clock, who('agent@acme.test', agent));
      const id = (await c.get('/api/v1/me')).json<{ operator: { id: string } }>().operator.id;
      await t.runtime.database.db
        .transaction()
        .execute((trx) => t.runtime.operators.setStatus(trx, acme.id, id, 'disabled'));
      assert.equal((await c.get('/api/v1/me')).statusCode, 401);
      await t.runtime.database.db
        .transaction()
        .execute((trx) => t.runtime.operators.setStatus(trx, acme.id, id, 'active'));
      assert.equal((await c.get('/api/v1/me')).statusCode, 401, 'the ended session does not come back');
    });

    test('sensitive actions need a fresh second factor; step-up gives a new session id', async () => {
      const c = await signIn(app, clock, who('agent@acme.test', agent));
      clock.advance(6 * 60);
      const stale = await c.post('/api/v1/auth/recovery-codes');
      assert.equal(stale.statusCode, 401);
      assert.equal(stale.json<{ error: { code: string } }>().error.code, 'step_up_required');
      const before = c.cookies.get('__Host-cv_session');
      const up = await c.post('/api/v1/auth/step-up/totp', { code: totpCode(agent.seed, clock.now()) });
      expectStatus(up, 200);
      assert.notEqual(c.cookies.get('__Host-cv_session'), before);
      const codes = await c.post('/api/v1/auth/recovery-codes');
      expectStatus(codes, 200);
      agent = { ...agent, recoveryCodes: codes.json<{ recoveryCodes: string[] }>().recoveryCodes };
      const old = new Client(app);
      old.cookies.set('__Host-cv_session', before!);
      assert.equal((await old.get('/api/v1/me')).statusCode, 401, 'the pre-step-up id is dead');
      clock.advance(30);
    });

    test('changing the password ends every other session', async () => {
      const other = await signIn(app, clock, who('agent@acme.test', agent));
      const c = await signIn(app, clock, who('agent@acme.test', agent));
      const NEW = 'granite-orchard-whistle-93';
      const bad = await c.post('/api/v1/auth/password', {
        currentPassword: PASSWORD,
        newPassword: 'password1',
      });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json<{ error: { message: string } }>().error.message, /breached/);
      expectStatus(
        await c.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: NEW }),
        200,
      );
      expectStatus(await c.get('/api/v1/me'), 200);
      assert.equal((await other.get('/api/v1/me')).statusCode, 401);
      expectStatus(
        await c.post('/api/v1/auth/password', { currentPassword: NEW, newPassword: PASSWORD }),
        200,
      );
    });
  });
}
