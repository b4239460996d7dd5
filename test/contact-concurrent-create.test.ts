import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createContactUpserter } from '../src/features/contacts/contact-upsert.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`a new customer created by two webhooks at once (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let upsert: ReturnType<typeof createContactUpserter>;
    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const { keyring, codec, clock } = t.runtime;
      upsert = createContactUpserter({ keyring, codec, clock });
    });
    after(async () => {
      await t.close();
    });

    const count = async () =>
      Number(
        (
          await t.runtime.database.db
            .selectFrom('contacts')
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .where('tenant_id', '=', tenant.id)
            .executeTakeFirstOrThrow()
        ).n,
      );

    test('both transactions end with one and the same customer, neither fails', async () => {
      const identity = { waId: '16505550101', profileName: 'Grace Race' };
      const db = t.runtime.database.db;
      let firstInserted!: () => void;
      const inserted = new Promise<void>((resolve) => (firstInserted = resolve));
      // The first transaction creates the customer and stays open a while; the second looks the
      // customer up meanwhile (on PostgreSQL: not there yet), then inserts too.
      const first = db.transaction().execute(async (trx) => {
        const r = await upsert(trx, tenant, identity);
        firstInserted();
        await sleep(target.name === 'postgres' ? 3000 : 0);
        return r;
      });
      await inserted;
      const second = db.transaction().execute((trx) => upsert(trx, tenant, identity));
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.created, true);
      assert.equal(b.created, false, 'the second one uses the customer the first one created');
      assert.equal(b.contactId, a.contactId);
      assert.equal(await count(), 1);
      // The second transaction lived on: it can still write after the conflict.
      const again = await db.transaction().execute(async (trx) => {
        const r = await upsert(trx, tenant, { ...identity, profileName: 'Grace Race-Winner' });
        await trx
          .updateTable('contacts')
          .set({ updated_at: new Date().toISOString() })
          .where('id', '=', r.contactId)
          .execute();
        return r;
      });
      assert.equal(again.contactId, a.contactId);
    });
  });
}
