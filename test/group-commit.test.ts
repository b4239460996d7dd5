import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGroupCommitter } from '../src/db/group-commit.ts';
import { ConflictError } from '../src/lib/errors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`group commit (${target.name})`, () => {
    let t: TestRuntime;
    before(async () => {
      t = await startTestRuntime(target);
    });
    after(() => t.close());

    const insertTenant = (slug: string) => async (trx: TestRuntime['runtime']['database']['db']) => {
      if (slug.startsWith('bad')) throw new ConflictError('refused on purpose');
      await trx
        .insertInto('tenants')
        .values({
          id: `tn_${slug.padEnd(26, '0')}`,
          slug,
          name: slug,
          expected_contacts: 1000,
          phone_full_bits: 4,
          phone_last4_bits: 4,
          email_bits: 8,
          created_at: new Date().toISOString(),
        })
        .execute();
      return slug;
    };

    test('concurrent work shares transactions, and every caller hears back only after its commit', async () => {
      const committer = createGroupCommitter(t.runtime.database.db);
      const slugs = Array.from({ length: 50 }, (_, i) => `g${String(i).padStart(3, '0')}`);
      const results = await Promise.all(slugs.map((s) => committer.submit(insertTenant(s))));
      assert.deepEqual(results, slugs);
      const stats = committer.stats();
      assert.equal(stats.items, 50);
      assert.ok(stats.transactions < 10, `50 items in ${stats.transactions} transactions`);
      const stored = await t.runtime.database.db
        .selectFrom('tenants')
        .select('slug')
        .where('slug', 'like', 'g%')
        .execute();
      assert.equal(stored.length, 50);
    });

    test('one failing piece of work fails alone; the others in its batch still commit', async () => {
      const committer = createGroupCommitter(t.runtime.database.db);
      const slugs = ['h001', 'h002', 'bad1', 'h003', 'h004'];
      const outcomes = await Promise.allSettled(slugs.map((s) => committer.submit(insertTenant(s))));
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      const stored = await t.runtime.database.db
        .selectFrom('tenants')
        .select('slug')
        .where('slug', 'like', 'h%')
        .execute();
      assert.equal(stored.length, 4);
    });
  });
}
