import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import type { Contact } from '../src/features/contacts/contacts.service.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const cli = { actor: { type: 'cli' as const, id: 'uid:0' } };
const fast = { batchSize: 4, restRatio: 0, minRestMs: 0 };

class Interrupted extends Error {}

for (const target of databaseTargets()) {
  describe(`tenant index key rotation re-indexes every customer (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let customers: Contact[] = [];

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      customers = await t.runtime.contacts.createMany(tenant, fakeCustomers(30, 91), testOperator);
    });
    after(() => t.close());

    const findsEveryone = async (list: readonly Contact[]) => {
      for (const c of list) {
        const found = await t.runtime.contacts.findByPhone(tenant, c.phone!, testReveal);
        assert.deepEqual(
          found.map((f) => f.id),
          [c.id],
          'find-by-phone finds exactly this customer',
        );
        if (c.email) {
          const byEmail = await t.runtime.contacts.findByEmail(tenant, c.email, testReveal);
          assert.ok(byEmail.some((f) => f.id === c.id));
        }
      }
    };
    const versions = async () =>
      (
        await t.runtime.database.db
          .selectFrom('contacts')
          .select(['id', 'index_version', 'phone_bidx'])
          .where('tenant_id', '=', tenant.id)
          .orderBy('id')
          .execute()
      ).map((r) => ({ ...r, index_version: Number(r.index_version) }));

    test('find-by-phone works before, during an interrupted job, and after it resumed and ended', async () => {
      await findsEveryone(customers);
      const before1 = await versions();
      assert.ok(before1.every((r) => r.index_version === 1));

      const life = t.runtime.keyLifecycle;
      const rotated = await life.rotate(tenant.id, 'index', cli);
      assert.equal(rotated.version, 2);
      assert.ok(rotated.jobId);
      // The process dies after a few batches: the job stays `running` with its cursor mid-way.
      let batches = 0;
      await assert.rejects(
        life.runJob(rotated.jobId, fast, (job) => {
          if (job.phase === 'contacts' && ++batches === 3) throw new Interrupted('killed');
        }),
        Interrupted,
      );
      const mid = await versions();
      const moved = mid.filter((r) => r.index_version === 2).length;
      assert.ok(moved > 0 && moved < mid.length, `part of the rows re-indexed (${moved}/${mid.length})`);
      const job = await life.job(rotated.jobId, tenant.id);
      assert.equal(job.status, 'running');
      assert.deepEqual((await t.runtime.keyring.indexVersions(tenant.id)).lookup, [2, 1]);

      // During: rows under both versions are found; a customer added now is indexed under v2 and found.
      await findsEveryone(customers);
      const [late] = await t.runtime.contacts.createMany(tenant, fakeCustomers(1, 92), testOperator);
      customers.push(late!);
      await findsEveryone([late!]);

      // Restart: the job resumes where it stopped and ends.
      assert.equal(await life.resume(fast), 1);
      assert.equal((await life.job(rotated.jobId, tenant.id)).status, 'done');
      const after1 = await versions();
      assert.ok(after1.every((r) => r.index_version === 2));
      const changed = after1.filter((r) => r.phone_bidx !== before1.find((b) => b.id === r.id)?.phone_bidx);
      assert.ok(changed.length > after1.length / 2, 'the blind indexes were recomputed under the new key');
      t.runtime.keyring.clear();
      assert.deepEqual((await t.runtime.keyring.indexVersions(tenant.id)).lookup, [2]);
      await findsEveryone(customers);

      const index = (await life.status(tenant.id)).purposes.find((p) => p.purpose === 'index')!;
      assert.deepEqual(
        index.versions.map((v) => [v.version, v.status]),
        [
          [1, 'retired'],
          [2, 'active'],
        ],
      );
    });

    test('a replayed finished job changes nothing, and ingest identities still match (stable hashes)', async () => {
      const life = t.runtime.keyLifecycle;
      const jobId = (await life.status(tenant.id)).jobs.find((j) => j.kind === 'reindex')!.id;
      const beforeReplay = await versions();
      await t.runtime.database.db
        .updateTable('key_jobs')
        .set({ status: 'running', phase: 'contacts', cursor: '', done: 0, finished_at: null })
        .where('id', '=', jobId)
        .execute();
      assert.equal((await life.runJob(jobId, fast)).status, 'done');
      assert.deepEqual(await versions(), beforeReplay);
      const [withWa] = await t.runtime.contacts.createMany(
        tenant,
        [{ ...fakeCustomers(1, 93)[0]!, waId: '8613700000042' }],
        testOperator,
      );
      const found = await t.runtime.contacts.findByIdentity(tenant, { waId: '8613700000042' }, testReveal);
      assert.equal(found?.id, withWa!.id);
    });
  });
}
