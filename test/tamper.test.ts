import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { DecryptionError, KeyNotFoundError } from '../src/lib/errors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { testOperator, testReveal } from './support/actors.ts';

const [alice, bob, carol] = fakeCustomers(3, 11) as [
  ReturnType<typeof fakeCustomers>[number],
  ReturnType<typeof fakeCustomers>[number],
  ReturnType<typeof fakeCustomers>[number],
];

for (const target of databaseTargets()) {
  describe(`tampered ciphertexts are refused (${target.name})`, () => {
    let t: TestRuntime;
    let acme: Tenant;
    let globex: Tenant;
    let ids: { alice: string; bob: string; carol: string };

    const db = () => t.runtime.database.db;
    const column = async (id: string, name: 'phone_ct' | 'name_ct' | 'email_ct') => {
      const row = await db()
        .selectFrom('contacts')
        .select(name)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return Buffer.from(row[name]!);
    };
    const setColumn = (id: string, name: 'phone_ct' | 'name_ct' | 'email_ct', value: Buffer) =>
      db()
        .updateTable('contacts')
        .set({ [name]: value })
        .where('id', '=', id)
        .execute();

    before(async () => {
      t = await startTestRuntime(target);
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      globex = await t.runtime.tenants.create({ slug: 'globex', name: 'Globex' });
      ids = {
        alice: (await t.runtime.contacts.create(acme, alice, testOperator)).id,
        bob: (await t.runtime.contacts.create(acme, bob, testOperator)).id,
        carol: (await t.runtime.contacts.create(globex, carol, testOperator)).id,
      };
    });
    after(() => t.close());

    test('a ciphertext copied to another row fails to open', async () => {
      const original = await column(ids.bob, 'name_ct');
      await setColumn(ids.bob, 'name_ct', await column(ids.alice, 'name_ct'));
      await assert.rejects(t.runtime.contacts.getById(acme, ids.bob, testReveal), DecryptionError);
      await setColumn(ids.bob, 'name_ct', original);
      assert.equal(
        (await t.runtime.contacts.getById(acme, ids.bob, testReveal)).profileName,
        bob.profileName,
      );
    });

    test('a ciphertext copied to another column of the same row fails to open', async () => {
      const original = await column(ids.alice, 'email_ct');
      await setColumn(ids.alice, 'email_ct', await column(ids.alice, 'name_ct'));
      await assert.rejects(t.runtime.contacts.getById(acme, ids.alice, testReveal), DecryptionError);
      await setColumn(ids.alice, 'email_ct', original);
    });

    test('a whole row moved to another tenant fails to open', async () => {
      await db().updateTable('contacts').set({ tenant_id: globex.id }).where('id', '=', ids.alice).execute();
      await assert.rejects(t.runtime.contacts.getById(globex, ids.alice, testReveal), DecryptionError);
      await assert.rejects(t.runtime.contacts.getById(acme, ids.alice, testReveal), /Contact not found/);
      await db().updateTable('contacts').set({ tenant_id: acme.id }).where('id', '=', ids.alice).execute();
      assert.equal((await t.runtime.contacts.getById(acme, ids.alice, testReveal)).phone, alice.phone);
    });

    test('a ciphertext from another tenant placed in this row fails to open', async () => {
      const original = await column(ids.bob, 'phone_ct');
      await setColumn(ids.bob, 'phone_ct', await column(ids.carol, 'phone_ct'));
      await assert.rejects(t.runtime.contacts.getById(acme, ids.bob, testReveal), DecryptionError);
      await setColumn(ids.bob, 'phone_ct', original);
    });

    test('one flipped bit anywhere in a ciphertext fails to open', async () => {
      const original = await column(ids.alice, 'phone_ct');
      for (const position of [0, 5, 17, original.length - 20, original.length - 1]) {
        const flipped = Buffer.from(original);
        flipped[position]! ^= 0x01;
        await setColumn(ids.alice, 'phone_ct', flipped);
        await assert.rejects(t.runtime.contacts.getById(acme, ids.alice, testReveal), DecryptionError);
      }
      await setColumn(ids.alice, 'phone_ct', original);
    });

    test('a ciphertext naming another key version fails with a clear error', async () => {
      const original = await column(ids.alice, 'phone_ct');
      const relabelled = Buffer.from(original);
      relabelled.writeUInt32BE(7, 1);
      await setColumn(ids.alice, 'phone_ct', relabelled);
      await assert.rejects(t.runtime.contacts.getById(acme, ids.alice, testReveal), (error: Error) => {
        assert.ok(error instanceof DecryptionError);
        assert.match(error.message, /key version 7/);
        return true;
      });
      await setColumn(ids.alice, 'phone_ct', original);
      await assert.rejects(t.runtime.keyring.contactKey(acme.id, ids.alice, 2), KeyNotFoundError);
    });

    test('a customer key moved to another customer does not open there', async () => {
      const keyOf = async (id: string) =>
        (
          await db()
            .selectFrom('contacts')
            .select('key_wrapped')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).key_wrapped!;
      const bobKey = Buffer.from(await keyOf(ids.bob));
      await db()
        .updateTable('contacts')
        .set({ key_wrapped: await keyOf(ids.alice) })
        .where('id', '=', ids.bob)
        .execute();
      t.runtime.keyring.clear();
      await assert.rejects(t.runtime.contacts.getById(acme, ids.bob, testReveal), DecryptionError);
      await db().updateTable('contacts').set({ key_wrapped: bobKey }).where('id', '=', ids.bob).execute();
      assert.equal((await t.runtime.contacts.getById(acme, ids.bob, testReveal)).phone, bob.phone);
    });
  });
}
