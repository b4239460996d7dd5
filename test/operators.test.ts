import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { ConflictError } from '../src/lib/errors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`operators (${target.name})`, () => {
    let t: TestRuntime;
    let acme: Tenant;
    let globex: Tenant;

    before(async () => {
      t = await startTestRuntime(target);
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      globex = await t.runtime.tenants.create({ slug: 'globex', name: 'Globex' });
    });
    after(() => t.close());

    const create = (tenant: Tenant, email: string, role: 'agent' | 'owner') =>
      t.runtime.database.db
        .transaction()
        .execute((trx) => t.runtime.operators.create(trx, tenant, { email, role }));

    test('an operator is created pending and found by e-mail in any case, only in its own tenant', async () => {
      const created = await create(acme, 'Agent.Smith@Example.com', 'agent');
      assert.equal(created.status, 'pending');
      assert.equal(created.email, 'agent.smith@example.com');
      assert.equal(
        (await t.runtime.operators.findByEmail(acme.id, 'AGENT.SMITH@example.com'))?.id,
        created.id,
      );
      assert.equal(await t.runtime.operators.findByEmail(globex.id, 'agent.smith@example.com'), undefined);
      await assert.rejects(t.runtime.operators.getById(globex.id, created.id), /Operator not found/);
    });

    test('the same e-mail twice in one tenant is a conflict; in another tenant it is fine', async () => {
      await create(acme, 'owner@example.com', 'owner');
      await assert.rejects(create(acme, 'OWNER@example.com', 'owner'), ConflictError);
      await create(globex, 'owner@example.com', 'owner');
    });

    test('operator e-mails are not stored in the clear', () => {
      const bytes =
        target.name === 'sqlite'
          ? sqliteBytes(t.dataDir)
          : postgresDump(t.env.CHATVAULT_DATABASE_URL!, t.env.CHATVAULT_DATABASE_SCHEMA!);
      assert.ok(bytes.includes(Buffer.from('Globex')));
      for (const email of ['agent.smith@example.com', 'owner@example.com'])
        assert.ok(!bytes.includes(Buffer.from(email)));
    });
  });
}
