import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { enrollWithTotp, invite, manualClock, signIn, type Client } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'correct horse battery staple 42';

for (const target of databaseTargets()) {
  describe(`channel administration (${target.name})`, () => {
    const clock = manualClock();
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;
    let admin: Client;
    let agent: Client;
    let channelId = '';

    before(async () => {
      emulator = await startEmulator({
        appSecret: 'pin-app-secret-0123456789',
        accessToken: 'pin-access-token-0123456789',
        verifyToken: 'pin-verify',
      });
      t = await startTestRuntime(target, { clock, env: { CHATVAULT_GRAPH_API_BASE: emulator.url } });
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      channelId = (await t.runtime.channels.add(tenant, emulator.channel)).id;
      app = buildApp(t.runtime);
      for (const [email, role] of [
        ['owner@shop.example', 'owner'],
        ['agent@shop.example', 'agent'],
      ] as const) {
        const { token } = await invite(t.runtime, tenant, email, role);
        const { seed } = await enrollWithTotp(app, clock, token, PASSWORD);
        const client = await signIn(app, clock, { tenant: 'shop', email, password: PASSWORD, seed });
        if (role === 'owner') admin = client;
        else agent = client;
      }
    });
    after(async () => {
      await app.close();
      await t.close();
      await emulator.close();
    });

    test('an owner with a fresh second factor sets the number’s two-step PIN through the Graph API, audited', async () => {
      const res = await admin.post(`/api/v1/channels/${channelId}/two-step-pin`, { pin: '482913' });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(emulator.checkPin('482913'), true);
      const entries = await t.runtime.database.db
        .selectFrom('audit_entries')
        .select(['action', 'target_id'])
        .where('target_id', '=', channelId)
        .execute();
      assert.ok(entries.some((e) => e.action === 'sensitive_update'));
    });

    test('an agent may not, a bad PIN is a 400, and an old second factor asks for step-up', async () => {
      assert.equal(
        (await agent.post(`/api/v1/channels/${channelId}/two-step-pin`, { pin: '111111' })).statusCode,
        403,
      );
      assert.equal(
        (await admin.post(`/api/v1/channels/${channelId}/two-step-pin`, { pin: '12ab' })).statusCode,
        400,
      );
      clock.advance(6 * 60);
      const stale = await admin.post(`/api/v1/channels/${channelId}/two-step-pin`, { pin: '222222' });
      assert.equal(stale.statusCode, 401);
      assert.equal(stale.json<{ error: { code: string } }>().error.code, 'step_up_required');
      assert.equal(emulator.checkPin('482913'), true);
    });

    test('channel secrets and the PIN are never readable in the database or the logs', async () => {
      const list = await admin.get('/api/v1/channels');
      assert.equal(list.statusCode, 200);
      assert.ok(!list.body.includes(emulator.channel.accessToken));
      const bytes =
        target.name === 'sqlite'
          ? sqliteBytes(t.dataDir)
          : postgresDump(t.env.CHATVAULT_DATABASE_URL!, t.env.CHATVAULT_DATABASE_SCHEMA!);
      const logs = Buffer.from(t.logs.join(''));
      for (const secret of [emulator.channel.accessToken, emulator.channel.appSecret, '482913']) {
        assert.ok(!bytes.includes(Buffer.from(secret)), 'database');
        assert.ok(!logs.includes(Buffer.from(secret)), 'logs');
      }
    });
  });
}
