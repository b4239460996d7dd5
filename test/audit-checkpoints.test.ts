import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parseTrustedFile } from '../src/features/audit/export.ts';
import type { TenantVerification } from '../src/features/audit/verify.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { attackerKeys, buildLog, editEntry, resignCheckpoints, rewriteChain } from './support/audit.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

function assertProblem(
  result: TenantVerification,
  kind: string,
  where: { seq?: number; checkpoint?: number } = {},
) {
  assert.equal(result.ok, false, 'tampering went unnoticed');
  assert.equal(result.problem?.kind, kind, result.problem?.message);
  if (where.seq !== undefined) assert.equal(result.problem?.seq, where.seq, result.problem?.message);
  if (where.checkpoint !== undefined) assert.equal(result.problem?.checkpoint, where.checkpoint);
}

for (const target of databaseTargets()) {
  describe(`forged, replayed and truncated checkpoints and swapped keys are detected (${target.name})`, () => {
    let t: TestRuntime;
    let n = 0;
    const db = () => t.runtime.database.db;
    const verify = (tenant: Tenant, file?: string) =>
      t.runtime.audit.verify(tenant.id, file ? parseTrustedFile(file).get(tenant.id) : undefined);
    const checkpointRow = (tenant: Tenant, ordinal: number) =>
      db()
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .where('ordinal', '=', ordinal)
        .executeTakeFirstOrThrow();
    const exported = async (tenant: Tenant) => {
      let text = '';
      await t.runtime.audit.export(tenant.id, (line) => void (text += line));
      return text;
    };
    async function freshLog(): Promise<Tenant> {
      const tenant = await t.runtime.tenants.create({ slug: `cp${++n}`, name: 'Checkpoints' });
      await buildLog(t.runtime, tenant);
      assert.equal((await verify(tenant)).ok, true);
      return tenant;
    }
    async function sealed<T>(fn: () => Promise<T>): Promise<T> {
      await t.runtime.seal();
      try {
        return await fn();
      } finally {
        for (const share of t.shares.slice(0, 3)) await t.runtime.submitShare(share);
      }
    }

    before(async () => {
      t = await startTestRuntime(target);
    });
    after(() => t.close());

    test('a forged checkpoint with a made-up signature is refused', async () => {
      const tenant = await freshLog();
      const last = await checkpointRow(tenant, 2);
      await db()
        .insertInto('audit_checkpoints')
        .values({ ...last, ordinal: 3, signature: randomBytes(64) })
        .execute();
      assertProblem(await verify(tenant), 'checkpoint_signature', { checkpoint: 3 });
    });

    test('a checkpoint signed with a key that is not the tenant audit key is refused', async () => {
      const tenant = await freshLog();
      await resignCheckpoints(db(), tenant.id, attackerKeys().privateKey);
      assertProblem(await verify(tenant), 'checkpoint_signature', { checkpoint: 0 });
    });

    test('a checkpoint whose root was altered no longer verifies', async () => {
      const tenant = await freshLog();
      await db()
        .updateTable('audit_checkpoints')
        .set({ root_hash: randomBytes(32) })
        .where('tenant_id', '=', tenant.id)
        .where('ordinal', '=', 1)
        .execute();
      assertProblem(await verify(tenant), 'checkpoint_signature', { checkpoint: 1 });
    });

    test('an old checkpoint replayed at a later position is refused', async () => {
      const tenant = await freshLog();
      const old = await checkpointRow(tenant, 0);
      delete (old as Partial<typeof old>).ordinal;
      await db()
        .updateTable('audit_checkpoints')
        .set(old)
        .where('tenant_id', '=', tenant.id)
        .where('ordinal', '=', 2)
        .execute();
      assertProblem(await verify(tenant), 'checkpoint_signature', { checkpoint: 2 });
    });

    test("another tenant's checkpoint replayed into this tenant is refused", async () => {
      const [tenant, other] = [await freshLog(), await freshLog()];
      const theirs = await checkpointRow(other, 2);
      await db()
        .insertInto('audit_checkpoints')
        .values({ ...theirs, tenant_id: tenant.id, ordinal: 3 })
        .execute();
      assertProblem(await verify(tenant), 'checkpoint_signature', { checkpoint: 3 });
    });

    test('a removed checkpoint leaves the others out of order', async () => {
      const tenant = await freshLog();
      await db()
        .deleteFrom('audit_checkpoints')
        .where('tenant_id', '=', tenant.id)
        .where('ordinal', '=', 1)
        .execute();
      assertProblem(await verify(tenant), 'checkpoint_order', { checkpoint: 1 });
    });

    test('a truncated tail is caught by the last checkpoint, or by an exported one once that is gone too', async () => {
      const tenant = await freshLog();
      const file = await exported(tenant);
      await db()
        .deleteFrom('audit_entries')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '>=', 25)
        .execute();
      assertProblem(await verify(tenant), 'truncated', { seq: 25, checkpoint: 2 });

      // A careful attacker also drops the checkpoint and repairs the head: the database alone now
      // looks like a shorter, consistent log. Only a checkpoint kept outside catches it.
      await db()
        .deleteFrom('audit_checkpoints')
        .where('tenant_id', '=', tenant.id)
        .where('ordinal', '=', 2)
        .execute();
      await rewriteChain(db(), tenant.id);
      await db()
        .updateTable('audit_heads')
        .set({ checkpoint_count: 2, checkpoint_size: 20 })
        .where('tenant_id', '=', tenant.id)
        .execute();
      assert.equal((await verify(tenant)).ok, true);
      assertProblem(await verify(tenant, file), 'truncated', { seq: 25 });
    });

    test('history rewritten after an export does not extend the exported checkpoint', async () => {
      const tenant = await freshLog();
      const file = await exported(tenant);
      await editEntry(db(), tenant.id, 3, { action: 'authz_fail' });
      await rewriteChain(db(), tenant.id);
      await db().deleteFrom('audit_checkpoints').where('tenant_id', '=', tenant.id).execute();
      await db()
        .updateTable('audit_heads')
        .set({ checkpoint_count: 0, checkpoint_size: 0 })
        .where('tenant_id', '=', tenant.id)
        .execute();
      assertProblem(await verify(tenant, file), 'trusted_checkpoint_mismatch', { seq: 29 });
    });

    test('a swapped public key is caught against the root-wrapped private key', async () => {
      const tenant = await freshLog();
      const attacker = attackerKeys();
      await editEntry(db(), tenant.id, 12, { actor_id: 'op_framed' });
      await rewriteChain(db(), tenant.id);
      await resignCheckpoints(db(), tenant.id, attacker.privateKey);
      await db()
        .updateTable('tenant_keys')
        .set({ public_key: attacker.spki })
        .where('tenant_id', '=', tenant.id)
        .where('purpose', '=', 'audit')
        .execute();
      assertProblem(await verify(tenant), 'key_swapped');
    });

    test('while sealed, a swapped key is caught against an exported file, and without one nothing is trusted', async () => {
      const tenant = await freshLog();
      const file = await exported(tenant);
      const attacker = attackerKeys();
      await sealed(async () => {
        const clean = await verify(tenant, file);
        assert.equal(clean.ok, true, clean.problem?.message);
        assert.equal(clean.keyTrust, 'file');
        assertProblem(await verify(tenant), 'key_unverifiable');
        await resignCheckpoints(db(), tenant.id, attacker.privateKey);
        await db()
          .updateTable('tenant_keys')
          .set({ public_key: attacker.spki })
          .where('tenant_id', '=', tenant.id)
          .where('purpose', '=', 'audit')
          .execute();
        assertProblem(await verify(tenant, file), 'key_swapped');
      });
    });

    test('a checkpoint file that was itself altered is refused as an anchor', async () => {
      const tenant = await freshLog();
      const file = (await exported(tenant)).replace(/"treeSize":30/, '"treeSize":31');
      assertProblem(await verify(tenant, file), 'trusted_checkpoint_invalid');
    });
  });
}
