import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { testOperator } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');

for (const target of databaseTargets()) {
  describe(`retention purges exactly what is due, nothing under legal hold (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let channelId: string;
    let now = NOW;
    const clock: Clock = { now: () => new Date(now) };
    const ago = (d: number) => new Date(NOW - d * DAY).toISOString();
    const system = { type: 'system' as const, id: 'retention-test' };

    /** A customer created `createdDaysAgo`, last active in chat `activeDaysAgo`. */
    async function customer(waId: string, createdDaysAgo: number, activeDaysAgo: number) {
      now = NOW - createdDaysAgo * DAY;
      const c = await t.runtime.contacts.create(tenant, { waId, profileName: 'Someone' }, system);
      now = NOW;
      const conversationId = newId('cv');
      await t.runtime.database.db
        .insertInto('conversations')
        .values({
          id: conversationId,
          tenant_id: tenant.id,
          contact_id: c.id,
          channel_id: channelId,
          last_inbound_at: ago(activeDaysAgo),
          window_expires_at: null,
          unread: 0,
          updated_at: ago(activeDaysAgo),
        })
        .execute();
      return { id: c.id, conversationId };
    }

    async function message(
      who: { id: string; conversationId: string },
      daysAgo: number,
      mediaDaysAgo?: number,
    ) {
      const id = newId('ms');
      await t.runtime.database.db
        .insertInto('messages')
        .values({
          id,
          tenant_id: tenant.id,
          conversation_id: who.conversationId,
          contact_id: who.id,
          direction: 'inbound',
          type: 'text',
          wamid_key: randomBytes(32),
          content_ct: randomBytes(64),
          status: 'received',
          error_code: null,
          sent_at: ago(daysAgo),
          created_at: ago(daysAgo),
        })
        .execute();
      if (mediaDaysAgo !== undefined)
        await t.runtime.database.db
          .insertInto('media')
          .values({
            id: newId('md'),
            tenant_id: tenant.id,
            contact_id: who.id,
            message_id: id,
            key_version: 1,
            mime_type: 'image/jpeg',
            size_bytes: 10,
            created_at: ago(mediaDaysAgo),
          })
          .execute();
      return id;
    }

    const ids = async (table: 'messages' | 'media', contactId: string) =>
      (
        await t.runtime.database.db
          .selectFrom(table)
          .select('id')
          .where('contact_id', '=', contactId)
          .orderBy('id')
          .execute()
      ).map((r) => r.id);
    const exists = async (contactId: string) =>
      (await t.runtime.database.db.selectFrom('contacts').select('id').where('id', '=', contactId).execute())
        .length === 1;

    before(async () => {
      t = await startTestRuntime(target, { clock });
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const channel = await t.runtime.channels.add(tenant, {
        appSecret: 'retention-app-secret-0123',
        verifyToken: 'retention-verify',
        accessToken: 'retention-access-token-0123',
        phoneNumberId: '106540352242922',
        wabaId: '102290129340398',
      });
      channelId = channel.id;
    });
    after(() => t.close());

    test('with the default policy (off) nothing is purged', async () => {
      const c = await customer('491700000001', 900, 900);
      await message(c, 800, 800);
      const run = await t.runtime.retention.run(tenant.id);
      assert.deepEqual(run.counts, { messages: 0, media: 0, customers: 0 });
      assert.ok(await exists(c.id));
      await t.runtime.erasure.erase(tenant.id, c.id, { actor: testOperator, origin: 'cli' });
      await t.runtime.erasure.purgeOne(tenant.id, c.id);
    });

    test('bodies, media and inactive customers past their age go, resumably; a held customer keeps everything', async () => {
      await t.runtime.retention.setPolicy(tenant.id, {
        messageBodyDays: 30,
        mediaDays: 10,
        inactiveCustomerDays: 100,
      });
      const inactive = await customer('491700000002', 300, 200);
      const inactiveMessage = await message(inactive, 250);
      const held = await customer('491700000003', 300, 200);
      const heldMessages = [await message(held, 250, 250), await message(held, 40, 15)];
      await t.runtime.legalHolds.place(tenant.id, held.id, 'litigation hold, case 17', testOperator);
      const active = await customer('491700000004', 300, 1);
      const dueMessage = await message(active, 40, 40);
      const keptMessage = await message(active, 20, 15);
      const keptMessage2 = await message(active, 29, 5);
      // Exactly at the edge: 30 days old to the millisecond is not older than 30 days.
      const edge = await message(active, 30);
      assert.ok(inactiveMessage && dueMessage);

      // Interrupted after two batches, then resumed: the same end state.
      const partial = await t.runtime.retention.run(tenant.id, { maxBatches: 2 });
      assert.equal(partial.done, false);
      const done = await t.runtime.retention.run(tenant.id);
      assert.equal(done.done, true);
      assert.equal(done.runId, partial.runId, 'the interrupted run was resumed, not restarted');

      assert.equal(await exists(inactive.id), false, 'the inactive customer was erased');
      assert.deepEqual(await ids('messages', active.id), [keptMessage, keptMessage2, edge].sort());
      const activeMedia = await t.runtime.database.db
        .selectFrom('media')
        .select(['message_id'])
        .where('contact_id', '=', active.id)
        .execute();
      assert.deepEqual(
        activeMedia.map((m) => m.message_id),
        [keptMessage2],
        'media older than 10 days went',
      );
      assert.ok(await exists(held.id));
      assert.deepEqual(await ids('messages', held.id), [...heldMessages].sort());
      assert.equal((await ids('media', held.id)).length, 2);
      assert.deepEqual(done.counts, { messages: 2, media: 2, customers: 1 });
      const tombstones = await t.runtime.database.db
        .selectFrom('dsr_tombstones')
        .select(['contact_id', 'origin'])
        .where('origin', '=', 'retention')
        .execute();
      assert.deepEqual(tombstones, [{ contact_id: inactive.id, origin: 'retention' }]);
      await assert.rejects(
        t.runtime.erasure.erase(tenant.id, held.id, { actor: testOperator, origin: 'request' }),
        /legal hold/,
      );
    });
  });
}
