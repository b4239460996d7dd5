import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { headerOf } from '../src/features/keys/key-jobs.repository.ts';
import { countReferences } from '../src/features/keys/references.ts';
import { contactsBatch, retiredBatch } from '../src/features/keys/rewrap-steps.ts';
import { testOperator } from './support/actors.ts';
import { startTestRuntime } from './support/runtime.ts';
import { fakeMillionRowStats, planOf } from './support/sqlite-plans.ts';
import { databaseTargets } from './support/targets.ts';

const cli = { actor: { type: 'cli' as const, id: 'uid:0' } };
/** Two rows a batch: the retired-key cursor stops between two versions of one customer. */
const tiny = { batchSize: 2, restRatio: 0, minRestMs: 0 };

// A throttled rewrap of 200,000 customers stalled live ingest ~40 ms per batch, whatever its size:
// each batch's select sorted the whole tenant (no index led with tenant_id then id).
test('rewrap batches seek to their cursor through an index and sort nothing (SQLite plan, 1M-customer statistics)', async () => {
  const t = await startTestRuntime(databaseTargets()[0]!); // SQLite comes first
  try {
    const file = path.join(t.dataDir, 'chatvault.db');
    fakeMillionRowStats(file, ['contacts', 'contact_keys'], '1000000 1000000 4 2 1');
    const db = t.runtime.database.db;
    const contacts = planOf(file, contactsBatch(db, 'tn_x', 'ct_1', 500).compile());
    assert.match(
      contacts,
      /SEARCH contacts USING INDEX contacts_tenant_id \(tenant_id=\? AND id>\?\)/,
      contacts,
    );
    assert.doesNotMatch(contacts, /TEMP B-TREE|SCAN contacts/, contacts);
    const retired = planOf(file, retiredBatch(db, 'tn_x', 'ct_1:2', 500).compile());
    assert.match(retired, /SEARCH contact_keys USING .*\(\(contact_id,version\)>\(\?,\?\)\)/, retired);
    assert.doesNotMatch(retired, /TEMP B-TREE|SCAN contact_keys/, retired);
  } finally {
    await t.close();
  }
});

for (const target of databaseTargets()) {
  test(`a data rotation rewraps every current and retired customer key, batch by batch (${target.name})`, async () => {
    const t = await startTestRuntime(target);
    try {
      const life = t.runtime.keyLifecycle;
      const tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const made = await t.runtime.contacts.createMany(tenant, fakeCustomers(5, 81), testOperator);
      // Retired customer keys: one customer rotated twice (two versions), another once.
      for (const id of [made[1]!.id, made[1]!.id, made[3]!.id]) {
        const rotated = await life.rotateContact(tenant.id, id, cli);
        assert.equal((await life.runJob(rotated.jobId, tiny)).status, 'done');
      }
      const { jobId } = await life.rotate(tenant.id, 'data', cli);
      const job = await life.runJob(jobId!, tiny);
      assert.equal(job.status, 'done');

      const d = { db: t.runtime.database.db, dialect: t.runtime.database.dialect };
      assert.deepEqual(await countReferences(d, tenant.id, 'data', 1), {
        customer_keys: 0,
        retired_customer_keys: 0,
      });
      const retired = await d.db
        .selectFrom('contact_keys')
        .select(['contact_id', 'version', 'wrapped'])
        .where('tenant_id', '=', tenant.id)
        .execute();
      assert.equal(retired.length, 3);
      t.runtime.keyring.clear();
      t.runtime.provider.autoUnseal();
      for (const r of retired) {
        assert.deepEqual(r.wrapped.subarray(1, 5), headerOf(2));
        assert.ok(await t.runtime.keyring.contactKey(tenant.id, r.contact_id, r.version));
      }
    } finally {
      await t.close();
    }
  });
}
