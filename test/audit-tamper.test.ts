import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TenantVerification } from '../src/features/audit/verify.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { buildLog, editEntry, rewriteChain, someEvent } from './support/audit.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { chainHash, chainedFromRow } from '../src/features/audit/chain.ts';

/** The verifier's verdict must name the first bad entry and what is wrong with it. */
function assertProblem(result: TenantVerification, kind: string, seq?: number) {
  assert.equal(result.ok, false, 'tampering went unnoticed');
  assert.equal(result.problem?.kind, kind, result.problem?.message);
  if (seq !== undefined) assert.equal(result.problem?.seq, seq, result.problem?.message);
}

for (const target of databaseTargets()) {
  describe(`tampering with audit entries is detected (${target.name})`, () => {
    let t: TestRuntime;
    let n = 0;
    const db = () => t.runtime.database.db;
    const verify = (tenant: Tenant) => t.runtime.audit.verify(tenant.id);

    /** A fresh tenant whose log holds 30 entries under checkpoints at sizes 10, 20 and 30. */
    async function freshLog(): Promise<Tenant> {
      const tenant = await t.runtime.tenants.create({ slug: `tamper${++n}`, name: 'Tamper' });
      await buildLog(t.runtime, tenant);
      const clean = await verify(tenant);
      assert.equal(clean.ok, true, clean.problem?.message);
      assert.equal(clean.entries, 30);
      assert.equal(clean.checkpoints, 3);
      return tenant;
    }

    before(async () => {
      t = await startTestRuntime(target);
    });
    after(() => t.close());

    test('an untouched log verifies: chain, roots and signatures', async () => {
      const tenant = await freshLog();
      const result = await verify(tenant);
      assert.deepEqual(
        { ...result, tenantId: '' },
        {
          tenantId: '',
          ok: true,
          entries: 30,
          checkpoints: 3,
          pending: 0,
          keyTrust: 'derived',
        },
      );
    });

    test('an edited entry is reported by its seq', async () => {
      const tenant = await freshLog();
      await editEntry(db(), tenant.id, 12, { actor_id: 'op_someone_else' });
      assertProblem(await verify(tenant), 'entry_mismatch', 12);
    });

    test('an edited ciphertext (the reason) is reported by its seq', async () => {
      const tenant = await freshLog();
      const row = await db()
        .selectFrom('audit_entries')
        .select('reason_ct')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 4)
        .executeTakeFirstOrThrow();
      const flipped = Buffer.from(row.reason_ct!);
      flipped[flipped.length - 1]! ^= 1;
      await editEntry(db(), tenant.id, 4, { reason_ct: flipped });
      assertProblem(await verify(tenant), 'entry_mismatch', 4);
    });

    test('an edited entry whose own hash was recomputed breaks the next link', async () => {
      const tenant = await freshLog();
      await editEntry(db(), tenant.id, 12, { outcome: 'denied' });
      const rows = await db()
        .selectFrom('audit_entries')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .where('seq', 'in', [11, 12])
        .orderBy('seq')
        .execute();
      await editEntry(db(), tenant.id, 12, { hash: chainHash(rows[0]!.hash!, chainedFromRow(rows[1]!, 12)) });
      assertProblem(await verify(tenant), 'entry_mismatch', 13);
    });

    test('a rewritten history with every hash recomputed fails against the signed checkpoint', async () => {
      const tenant = await freshLog();
      await editEntry(db(), tenant.id, 12, { target_id: 'ct_innocent' });
      await rewriteChain(db(), tenant.id);
      const result = await verify(tenant);
      assertProblem(result, 'checkpoint_mismatch', 19);
      assert.equal(result.problem?.checkpoint, 1);
    });

    test('a deleted entry is reported as missing', async () => {
      const tenant = await freshLog();
      await db()
        .deleteFrom('audit_entries')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 12)
        .execute();
      assertProblem(await verify(tenant), 'entry_missing', 12);
    });

    test('a deleted entry with the later ones renumbered (no gap left) is still caught', async () => {
      const tenant = await freshLog();
      await db()
        .deleteFrom('audit_entries')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 12)
        .execute();
      for (let seq = 13; seq < 30; seq++) await editEntry(db(), tenant.id, seq, { seq: seq - 1 });
      assertProblem(await verify(tenant), 'entry_mismatch', 12);
    });

    test('a reordered pair is reported at the first of the two', async () => {
      const tenant = await freshLog();
      await editEntry(db(), tenant.id, 12, { seq: -1 });
      await editEntry(db(), tenant.id, 13, { seq: 12 });
      await editEntry(db(), tenant.id, -1, { seq: 13 });
      assertProblem(await verify(tenant), 'entry_mismatch', 12);
    });

    test('a reordered pair with swapped hashes too is still caught', async () => {
      const tenant = await freshLog();
      const [a, b] = await db()
        .selectFrom('audit_entries')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .where('seq', 'in', [12, 13])
        .orderBy('seq')
        .execute();
      await editEntry(db(), tenant.id, 12, { seq: -1 });
      await editEntry(db(), tenant.id, 13, { seq: 12, hash: a!.hash });
      await editEntry(db(), tenant.id, -1, { seq: 13, hash: b!.hash });
      assertProblem(await verify(tenant), 'entry_mismatch', 12);
    });

    test('an entry inserted into the middle of history is caught, even with a correct hash of its own', async () => {
      const tenant = await freshLog();
      for (let seq = 29; seq >= 12; seq--) await editEntry(db(), tenant.id, seq, { seq: seq + 1 });
      const previous = await db()
        .selectFrom('audit_entries')
        .select('hash')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 11)
        .executeTakeFirstOrThrow();
      const prepared = await t.runtime.audit.prepare(someEvent(tenant, { action: 'authn_login_success' }));
      const forged = { ...prepared.prepared, seq: 12 };
      await db()
        .insertInto('audit_entries')
        .values({ ...forged, hash: chainHash(previous.hash!, chainedFromRow(forged, 12)) })
        .execute();
      assertProblem(await verify(tenant), 'entry_mismatch', 13);
    });

    test('an entry moved in from another tenant is caught', async () => {
      const tenant = await freshLog();
      const other = await freshLog();
      await editEntry(db(), tenant.id, 12, { seq: -1 });
      await db()
        .updateTable('audit_entries')
        .set({ tenant_id: tenant.id })
        .where('tenant_id', '=', other.id)
        .where('seq', '=', 12)
        .execute();
      assertProblem(await verify(tenant), 'entry_mismatch', 12);
      assertProblem(await verify(other), 'entry_missing', 12);
    });

    test('an extra entry given a negative seq (listed by queries, outside the chain) is reported', async () => {
      const tenant = await freshLog();
      const prepared = await t.runtime.audit.prepare(someEvent(tenant, { action: 'authn_login_success' }));
      await db()
        .insertInto('audit_entries')
        .values({ ...prepared.prepared, seq: -3, hash: Buffer.alloc(32, 3) })
        .execute();
      assertProblem(await verify(tenant), 'entry_outside_chain', -3);
    });

    test(
      'a seq that is not a number is caught, even on the last entry',
      { skip: target.name !== 'sqlite' },
      async () => {
        // Only SQLite's dynamic typing lets a text value into the integer seq column.
        const tenant = await freshLog();
        await editEntry(db(), tenant.id, 29, { seq: 'last' });
        assertProblem(await verify(tenant), 'entry_mismatch', 29);
      },
    );

    test('an entry turned back into a pending one leaves a gap', async () => {
      const tenant = await freshLog();
      await editEntry(db(), tenant.id, 5, { seq: null, hash: null });
      const result = await verify(tenant);
      assertProblem(result, 'entry_missing', 5);
      assert.equal(result.pending, 1);
    });

    test('a forged sequencer head (new entries would chain from it) is reported', async () => {
      const tenant = await freshLog();
      await db()
        .updateTable('audit_heads')
        .set({ hash: Buffer.alloc(32, 7) })
        .where('tenant_id', '=', tenant.id)
        .execute();
      assertProblem(await verify(tenant), 'head_mismatch', 30);
    });

    test('a stored Merkle node that proofs would use is checked too', async () => {
      const tenant = await t.runtime.tenants.create({ slug: `nodes${++n}`, name: 'Nodes' });
      await buildLog(t.runtime, tenant, [300]);
      assert.equal((await verify(tenant)).ok, true);
      await db()
        .updateTable('audit_nodes')
        .set({ hash: Buffer.alloc(32, 1) })
        .where('tenant_id', '=', tenant.id)
        .execute();
      assertProblem(await verify(tenant), 'node_mismatch', 255);
    });
  });
}
