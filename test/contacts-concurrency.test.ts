import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createContactInput } from '../src/features/contacts/contacts.schema.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { normalizePhone } from '../src/features/vault/normalize.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const customer = (i: number) => ({
  waId: `86139${String((i * 7919 + 12_345) % 100_000_000).padStart(8, '0')}`,
  profileName: 'Concurrent Customer',
});

for (const target of databaseTargets()) {
  describe(`contacts prepared concurrently on cold key caches (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'burst', name: 'Burst', expectedContacts: 10_000 });
    });
    after(() => t.close());

    // Hundreds of new customers at once on a fresh process: every one unwraps the tenant keys on a
    // cold cache at the same moment. A cache that zeroed a replaced key under a concurrent caller
    // made some of them derive their blind indexes from an all-zero key: stored, but never found.
    test('a burst of 400 new customers: every one is found again by phone', async () => {
      const n = 400;
      const prepared = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          t.runtime.contactStore.prepare(tenant, createContactInput.parse(customer(i))),
        ),
      );
      await t.runtime.database.db
        .transaction()
        .execute((trx) => t.runtime.contactStore.insert(trx, tenant, prepared));
      let missing = 0;
      for (let i = 0; i < n; i++) {
        const found = await t.runtime.contactStore.findByPhone(
          t.runtime.database.db,
          tenant,
          normalizePhone(`+${customer(i).waId}`),
        );
        if (found.matches.length !== 1) missing++;
      }
      assert.equal(missing, 0);
    });
  });
}
