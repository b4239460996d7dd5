import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createContactInput, type CreateContactInput } from '../src/features/contacts/contacts.schema.ts';
import { createContactUpserter } from '../src/features/contacts/contact-upsert.ts';
import { phoneCandidatesQuery } from '../src/features/contacts/contacts.repository.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { fakeMillionRowStats, planOf } from './support/sqlite-plans.ts';
import { databaseTargets } from './support/targets.ts';

const ACTOR = { type: 'system', id: 'test' } as const;

for (const target of databaseTargets()) {
  describe(`find by phone through wa_key and the blind indexes (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'lookup', name: 'Lookup', expectedContacts: 10_000 });
    });
    after(() => t.close());

    const db = () => t.runtime.database.db;
    // The ingest path's upserter (what a webhook's customer goes through).
    const upsert = () =>
      createContactUpserter({ keyring: t.runtime.keyring, codec: t.runtime.codec, clock: t.runtime.clock });
    const create = async (input: CreateContactInput) => {
      const p = await t.runtime.contactStore.prepare(tenant, createContactInput.parse(input));
      await db()
        .transaction()
        .execute((trx) => t.runtime.contactStore.insert(trx, tenant, [p]));
      return p.row.id;
    };
    const flagOf = async (id: string) =>
      (
        await db()
          .selectFrom('contacts')
          .select('phone_is_wa_id')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).phone_is_wa_id;
    const found = async (phone: string) =>
      (await t.runtime.contactStore.findByPhone(db(), tenant, phone)).matches.map((c) => c.id).sort();

    test('a customer whose phone is its WhatsApp id is flagged and found', async () => {
      const id = await create({ waId: '8613900000001', profileName: 'Wa Only' });
      assert.equal(await flagOf(id), 1);
      assert.deepEqual(await found('+8613900000001'), [id]);
    });

    test('a phone other than the WhatsApp id is found by the blind indexes, not by the wa_id', async () => {
      const id = await create({ waId: '8613900000002', phone: '+8613900000003', profileName: 'Two Numbers' });
      assert.equal(await flagOf(id), 0);
      assert.deepEqual(await found('+8613900000003'), [id]);
      assert.deepEqual(await found('+8613900000002'), [], 'the wa_id is not the phone on record');
    });

    test('a customer known by BSUID only, with a phone, is found', async () => {
      const id = await create({ userId: 'US.13491208655302741918', phone: '+8613900000004' });
      assert.equal(await flagOf(id), 0);
      assert.deepEqual(await found('+8613900000004'), [id]);
    });

    test('two customers with one phone (one by wa_id, one not) are both found', async () => {
      const a = await create({ waId: '8613900000005' });
      const b = await create({ userId: 'US.13491208655302741919', phone: '+8613900000005' });
      assert.deepEqual(await found('+8613900000005'), [a, b].sort());
    });

    test('a row written before the flag (0) is still found, the old way', async () => {
      const id = await create({ waId: '8613900000006' });
      await db().updateTable('contacts').set({ phone_is_wa_id: 0 }).where('id', '=', id).execute();
      assert.deepEqual(await found('+8613900000006'), [id]);
    });

    test('changing the phone moves the flag with it, compared by keyed hash', async () => {
      const id = await create({ waId: '8613900000007' });
      await t.runtime.contacts.update(tenant, id, { phone: '+8613900000008' }, ACTOR);
      assert.equal(await flagOf(id), 0);
      assert.deepEqual(await found('+8613900000008'), [id]);
      assert.deepEqual(await found('+8613900000007'), []);
      await t.runtime.contacts.update(tenant, id, { phone: '+8613900000007' }, ACTOR);
      assert.equal(await flagOf(id), 1);
      assert.deepEqual(await found('+8613900000007'), [id]);
      assert.deepEqual(await found('+8613900000008'), []);
    });

    test('a WhatsApp id arriving after the phone sets the flag only when they agree', async () => {
      const same = await create({ userId: 'US.13491208655302741920', phone: '+8613900000009' });
      const other = await create({ userId: 'US.13491208655302741921', phone: '+8613900000010' });
      await db()
        .transaction()
        .execute(async (trx) => {
          await upsert()(trx, tenant, {
            userId: 'US.13491208655302741920',
            waId: '8613900000009',
          });
          await upsert()(trx, tenant, {
            userId: 'US.13491208655302741921',
            waId: '8613900000011',
          });
        });
      assert.equal(await flagOf(same), 1);
      assert.equal(await flagOf(other), 0);
      assert.deepEqual(await found('+8613900000009'), [same]);
      assert.deepEqual(await found('+8613900000010'), [other]);
      assert.deepEqual(await found('+8613900000011'), []);
    });

    test('a customer first seen by ingest (wa_id only) is flagged', async () => {
      const { contactId } = await db()
        .transaction()
        .execute((trx) => upsert()(trx, tenant, { waId: '8613900000012', profileName: 'New' }));
      assert.equal(await flagOf(contactId), 1);
      assert.deepEqual(await found('+8613900000012'), [contactId]);
    });

    if (target.name === 'sqlite') {
      test('plan at 1,000,000 customers: one unique probe, and the flag is read inside the phone index', () => {
        const file = path.join(t.dataDir, 'chatvault.db');
        fakeMillionRowStats(file, ['contacts'], '1000000 1000000 4 4 1');
        const plan = planOf(
          file,
          phoneCandidatesQuery(db(), { tenantId: 'tn_x', wa: Buffer.alloc(32), last4: 1, full: 2 }).compile(),
        );
        assert.match(plan, /USING INDEX contacts_wa_key \(tenant_id=\? AND wa_key=\?\)/);
        assert.match(
          plan,
          /USING INDEX contacts_phone_bidx \(tenant_id=\? AND phone_last4_bidx=\? AND phone_bidx=\? AND phone_is_wa_id=\?\)/,
        );
      });
    }
  });
}
