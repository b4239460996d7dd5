import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createContactInput, type CreateContactInput } from '../src/features/contacts/contacts.schema.ts';
import {
  eitherKeyQuery,
  emailIndexQuery,
  insertContact,
  userKeyQuery,
} from '../src/features/contacts/contacts.repository.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { fakeMillionRowStats, planOf } from './support/sqlite-plans.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`user-key and email indexes hold only the customers who have one (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'sparse', name: 'Sparse' });
    });
    after(() => t.close());

    const db = () => t.runtime.database.db;
    const prepare = (input: CreateContactInput) =>
      t.runtime.contactStore.prepare(tenant, createContactInput.parse(input));

    test('customers without a user id or an email are stored side by side', async () => {
      for (const waId of ['8613911110001', '8613911110002', '8613911110003']) {
        const p = await prepare({ waId });
        assert.equal(p.row.user_key, null);
        assert.equal(p.row.email_bidx, null);
        await insertContact(db(), p.row);
      }
      const found = await t.runtime.contactStore.findByPhone(db(), tenant, '+8613911110002');
      assert.equal(found.matches.length, 1);
    });

    test('a user id is still unique per tenant in the database itself', async () => {
      const first = await prepare({ userId: 'US.20000000000000000001', waId: '8613911110010' });
      await insertContact(db(), first.row);
      const second = await prepare({ userId: 'US.20000000000000000002', waId: '8613911110011' });
      await assert.rejects(
        insertContact(db(), { ...second.row, user_key: first.row.user_key }),
        /unique|duplicate/i,
      );
      await insertContact(db(), second.row);
    });

    test('a customer is still found by email', async () => {
      const p = await prepare({ waId: '8613911110020', email: 'sparse@example.com' });
      await insertContact(db(), p.row);
      assert.notEqual(p.row.email_bidx, null);
      const rows = await emailIndexQuery(db(), tenant.id, p.row.email_bidx!).execute();
      assert.deepEqual(
        rows.map((r) => r.id),
        [p.row.id],
      );
    });

    if (target.name === 'sqlite') {
      test('plan at 1,000,000 customers: identity and email lookups probe the partial indexes', () => {
        const file = path.join(t.dataDir, 'chatvault.db');
        fakeMillionRowStats(file, ['contacts'], '1000000 1000000 1');
        const key = Buffer.alloc(32);
        const user = planOf(file, userKeyQuery(db(), { tenantId: 'tn_x', user: key }).compile());
        assert.match(user, /USING INDEX contacts_user_key \(tenant_id=\? AND user_key=\?\)/);
        const either = planOf(file, eitherKeyQuery(db(), { tenantId: 'tn_x', user: key, wa: key }).compile());
        assert.match(either, /MULTI-INDEX OR/);
        assert.match(either, /USING INDEX contacts_user_key \(tenant_id=\? AND user_key=\?\)/);
        assert.match(either, /USING INDEX contacts_wa_key \(tenant_id=\? AND wa_key=\?\)/);
        const email = planOf(file, emailIndexQuery(db(), 'tn_x', 7).compile());
        assert.match(email, /USING INDEX contacts_email_bidx \(tenant_id=\? AND email_bidx=\?\)/);
      });
    }
  });
}
