import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Contact } from '../src/features/contacts/contacts.service.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { associatedData, open } from '../src/lib/crypto/aead.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

/**
 * The database-agnostic half of "erasure holds against an old backup": PostgreSQL has no built-in
 * backup here (operators use pg_dump), so the customer's rows are copied out before the erasure,
 * as a dump would hold them, and shown unreadable afterwards with everything the server still has.
 */
for (const target of databaseTargets()) {
  describe(`erasure holds against an old copy of the customer's rows (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let alice: Contact;
    let bob: Contact;

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const system = { type: 'system' as const, id: 'dsr-snapshot-test' };
      alice = await t.runtime.contacts.create(
        tenant,
        { waId: '447700900321', phone: '+447700900321', profileName: 'Alice Snapshot' },
        system,
      );
      bob = await t.runtime.contacts.create(
        tenant,
        { waId: '447700900654', phone: '+447700900654', profileName: 'Bob Snapshot' },
        system,
      );
    });
    after(() => t.close());

    test('rows copied before the erasure open for nobody afterwards; the other customer still opens', async () => {
      const { db } = t.runtime.database;
      const copy = async (id: string) =>
        db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const old = await copy(alice.id);
      const bobRow = await copy(bob.id);
      assert.ok(old.key_wrapped && old.phone_ct);
      const phoneAd = associatedData(tenant.id, 'contacts', 'phone', alice.id);
      const before = await t.runtime.keyring.openContactKey(
        tenant.id,
        alice.id,
        old.key_version,
        old.key_wrapped,
      );
      assert.ok(open(before, old.phone_ct, phoneAd).length > 0, 'control: the copy opens before the erasure');

      await t.runtime.erasure.erase(tenant.id, alice.id, { actor: testOperator, origin: 'request' });
      await t.runtime.erasure.purgePending();
      assert.deepEqual(await db.selectFrom('contacts').select('id').where('id', '=', alice.id).execute(), []);
      await assert.rejects(
        t.runtime.keyring.openContactKey(tenant.id, alice.id, old.key_version, old.key_wrapped),
        'the copied wrapped key no longer opens: its shredding secret is gone',
      );
      const bobKey = await t.runtime.keyring.openContactKey(tenant.id, bob.id, 1, bobRow.key_wrapped!);
      assert.ok(open(bobKey, bobRow.phone_ct!, associatedData(tenant.id, 'contacts', 'phone', bob.id)));
      assert.equal((await t.runtime.contacts.getById(tenant, bob.id, testReveal)).phone, '+447700900654');
      const logs = t.logs.join('\n');
      for (const personal of ['447700900321', 'Alice Snapshot', '447700900654', 'Bob Snapshot'])
        assert.ok(!logs.includes(personal), 'no personal data in the logs');
    });
  });
}
