import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { backoffSeconds, LOCKOUT_POLICY } from '../src/features/auth/lockout.ts';
import { totpCode } from '../src/features/auth/totp.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createRuntime, type Runtime } from '../src/runtime.ts';
import { Client, enrollWithTotp, expectStatus, invite, manualClock, type Enrolled } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'amber-canyon-ledger-58';
let ipCounter = 0;
/** A new address per attempt, so only the per-account counter is exercised. */
const freshIp = () => `10.20.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

for (const target of databaseTargets()) {
  describe(`online guessing is throttled (${target.name})`, () => {
    const clock = manualClock();
    let t: TestRuntime;
    let app: FastifyInstance;
    let acme: Tenant;
    let agent: Enrolled;
    const second: { runtime?: Runtime; app?: FastifyInstance } = {};

    const login = (password: string, email = 'agent@acme.test', ip = freshIp(), on = app) =>
      new Client(on, ip).post('/api/v1/auth/login', { tenant: 'acme', email, password });
    const fullLogin = async (on = app) => {
      const c = new Client(on, freshIp());
      const res = await c.post('/api/v1/auth/login', {
        tenant: 'acme',
        email: 'agent@acme.test',
        password: PASSWORD,
      });
      if (res.statusCode !== 200) return res;
      const mfa = await c.post('/api/v1/auth/mfa/totp', { code: totpCode(agent.seed, clock.now()) });
      clock.advance(30);
      return mfa;
    };
    const retryAfter = (res: LightMyRequestResponse) => Number(res.headers['retry-after']);

    before(async () => {
      t = await startTestRuntime(target, { clock });
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      app = buildApp(t.runtime);
      agent = await enrollWithTotp(
        app,
        clock,
        (await invite(t.runtime, acme, 'agent@acme.test', 'agent')).token,
        PASSWORD,
      );
    });
    after(async () => {
      await second.app?.close();
      await second.runtime?.close();
      await app.close();
      await t.close();
    });

    test('backoff starts after 5 failures, doubles, applies to unknown addresses too, and survives a restart', async () => {
      for (let i = 0; i < LOCKOUT_POLICY.freeFailures; i++)
        assert.equal((await login('wrong-password-x')).statusCode, 401);
      const blocked = await login(PASSWORD);
      assert.equal(blocked.statusCode, 429);
      assert.equal(retryAfter(blocked), 30);
      for (let i = 0; i < LOCKOUT_POLICY.freeFailures; i++)
        assert.equal((await login('wrong-password-x', 'ghost@acme.test')).statusCode, 401);
      const ghost = await login(PASSWORD, 'ghost@acme.test');
      assert.equal(ghost.statusCode, 429, 'an unknown account locks exactly like a real one');
      assert.deepEqual(ghost.json<{ error: unknown }>().error, blocked.json<{ error: unknown }>().error);

      // A new process on the same database (a restart, or a second server) sees the same counters.
      second.runtime = await createRuntime(loadConfig({ ...t.env, CHATVAULT_LOG_LEVEL: 'silent' }), {
        logger: createLogger('silent'),
        clock,
      });
      second.runtime.provider.autoUnseal();
      second.app = buildApp(second.runtime);
      assert.equal((await login(PASSWORD, 'agent@acme.test', freshIp(), second.app)).statusCode, 429);

      clock.advance(31);
      assert.equal(
        (await login('wrong-password-x', 'agent@acme.test', freshIp(), second.app)).statusCode,
        401,
      );
      const doubled = await login(PASSWORD, 'agent@acme.test', freshIp(), second.app);
      assert.equal(doubled.statusCode, 429);
      assert.equal(retryAfter(doubled), 60);
      clock.advance(61);
      expectStatus(await fullLogin(second.app), 200);
      expectStatus(await fullLogin(), 200);
    });

    test('wrong second factors count too: a known password does not open unlimited TOTP guessing', async () => {
      const c = new Client(app, freshIp());
      expectStatus(
        await c.post('/api/v1/auth/login', { tenant: 'acme', email: 'agent@acme.test', password: PASSWORD }),
        200,
      );
      for (let i = 0; i < LOCKOUT_POLICY.freeFailures; i++)
        assert.equal((await c.post('/api/v1/auth/mfa/totp', { code: '000000' })).statusCode, 401);
      assert.equal(
        (await c.post('/api/v1/auth/mfa/totp', { code: totpCode(agent.seed, clock.now()) })).statusCode,
        429,
      );
      clock.advance(31);
      expectStatus(await fullLogin(), 200);
    });

    test('100 consecutive failures lock the account until an admin unlocks it', async () => {
      for (let n = 1; n <= LOCKOUT_POLICY.hardStop; n++) {
        assert.equal((await login('wrong-password-x')).statusCode, 401, `attempt ${n}`);
        clock.advance(backoffSeconds(n) + 1);
      }
      clock.advance(7 * 24 * 3600);
      const locked = await login(PASSWORD);
      assert.equal(locked.statusCode, 429);
      assert.match(locked.json<{ error: { message: string } }>().error.message, /administrator/);
      const op = (await t.runtime.operators.findByEmail(acme.id, 'agent@acme.test'))!;
      assert.equal(await t.runtime.auth.admin.unlock(op, { type: 'cli', id: 'test' }, {}), true);
      expectStatus(await fullLogin(), 200);
    });

    test('one address that keeps failing is stopped for every account', async () => {
      const ip = '198.51.100.7';
      for (let i = 0; i < LOCKOUT_POLICY.ipLimit; i++) {
        assert.equal((await login('wrong-password-x', `user${i}@acme.test`, ip)).statusCode, 401);
      }
      assert.equal((await login(PASSWORD, 'agent@acme.test', ip)).statusCode, 429);
      expectStatus(await login(PASSWORD, 'agent@acme.test', '198.51.100.8'), 200);
      clock.advance(LOCKOUT_POLICY.ipWindowSeconds + 1);
      expectStatus(await login(PASSWORD, 'agent@acme.test', ip), 200);
    });
  });
}
