import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { enrollWithTotp, invite, manualClock, signIn, type Client } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'media download pass phrase 2031';

for (const target of databaseTargets()) {
  describe(`operators download customer media through ChatVault (${target.name})`, () => {
    const clock = manualClock(Date.now());
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;
    const who: Record<string, { client: Client; id: string }> = {};
    let mediaId = '';
    let contactId = '';

    before(async () => {
      emulator = await startEmulator({
        appSecret: 'md-app-secret-0123456789',
        accessToken: 'md-access-token-0123456789',
        verifyToken: 'md-verify',
      });
      t = await startTestRuntime(target, { clock, env: { CHATVAULT_GRAPH_API_BASE: emulator.url } });
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const channel = await t.runtime.channels.add(tenant, emulator.channel);
      app = buildApp(t.runtime);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      emulator.setCallback(`${url}${channel.webhookPath}`, emulator.channel.verifyToken);
      await emulator.deliver('image', {
        customer: emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined)!,
      });
      await emulator.flush();
      await t.runtime.outbox.drain();
      const media = await t.runtime.database.db.selectFrom('media').selectAll().executeTakeFirstOrThrow();
      mediaId = media.id;
      contactId = media.contact_id;
      for (const [email, role] of [
        ['owner@shop.example', 'owner'],
        ['a1@shop.example', 'agent'],
        ['a2@shop.example', 'agent'],
      ] as const) {
        const { token, operator } = await invite(t.runtime, tenant, email, role);
        const { seed } = await enrollWithTotp(app, clock, token, PASSWORD);
        who[email] = {
          client: await signIn(app, clock, { tenant: 'shop', email, password: PASSWORD, seed }),
          id: operator.id,
        };
      }
      const assigned = await who['owner@shop.example']!.client.post('/api/v1/assignments', {
        contactId,
        operatorId: who['a1@shop.example']!.id,
      });
      assert.equal(assigned.statusCode, 204, assigned.body);
    });
    after(async () => {
      await app.close();
      await t.close();
      await emulator.close();
    });

    test('the assigned agent gets the decrypted file, and the download is audited', async () => {
      const res = await who['a1@shop.example']!.client.get(`/api/v1/media/${mediaId}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'image/jpeg');
      const size = (
        await t.runtime.database.db
          .selectFrom('media')
          .select('size_bytes')
          .where('id', '=', mediaId)
          .executeTakeFirstOrThrow()
      ).size_bytes;
      assert.equal(res.rawPayload.length, size);
      const entries = await t.runtime.database.db
        .selectFrom('audit_entries')
        .select('action')
        .where('target_id', '=', mediaId)
        .execute();
      assert.deepEqual(
        entries.map((e) => e.action),
        ['sensitive_read'],
      );
    });

    test('an unassigned agent is refused, an unknown id is 404, and nobody unauthenticated gets it', async () => {
      assert.equal((await who['a2@shop.example']!.client.get(`/api/v1/media/${mediaId}`)).statusCode, 403);
      assert.equal(
        (await who['a1@shop.example']!.client.get('/api/v1/media/md_00000000000000000000000000')).statusCode,
        404,
      );
      assert.equal((await app.inject(`/api/v1/media/${mediaId}`)).statusCode, 401);
    });
  });
}
