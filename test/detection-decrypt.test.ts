import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`a ciphertext that fails to open reaches detection (${target.name})`, () => {
    let f: AccessFixture;

    before(async () => {
      f = await startAccessFixture(target);
    });
    after(async () => {
      await f.close();
    });

    async function alerts() {
      await f.t.runtime.audit.sequence();
      await f.t.runtime.detection.run();
      const all = await f.t.runtime.detection.alerts.list(f.acme.id);
      return all.filter((a) => a.rule === 'decryption_failure');
    }

    test('reads that open cleanly are quiet; a name moved to another row answers 500 and alerts', async () => {
      const admin = await f.hire('admin');
      const fine = await asStaff(f.app, admin).get(`/api/v1/contacts/${f.ids[0]!}`);
      assert.equal(fine.statusCode, 200, fine.body);
      assert.deepEqual(await alerts(), []);

      // An insider with database access copies one customer's name ciphertext into another's row.
      const { db } = f.t.runtime.database;
      const source = await db
        .selectFrom('contacts')
        .select('name_ct')
        .where('id', '=', f.ids[1]!)
        .executeTakeFirstOrThrow();
      await db.updateTable('contacts').set({ name_ct: source.name_ct }).where('id', '=', f.ids[0]!).execute();
      const moved = await asStaff(f.app, admin).get(`/api/v1/contacts/${f.ids[0]!}`);
      assert.equal(moved.statusCode, 500);
      assert.equal(moved.json<{ error: { code: string } }>().error.code, 'decryption_failed');

      for (let i = 0; i < 50 && (await alerts()).length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const raised = await alerts();
      assert.equal(raised.length, 1);
    });
  });
}
