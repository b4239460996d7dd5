import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { KeyNotFoundError } from '../src/lib/errors.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

const cli = { actor: { type: 'cli' as const, id: 'uid:0' } };
const fast = { batchSize: 7, restRatio: 0, minRestMs: 0 };

for (const target of databaseTargets()) {
  describe(`tenant data key rotation (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff;
    let secondOwner: TestStaff;
    const ids: string[] = [];

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
      secondOwner = await f.hire('owner');
      const made = await f.t.runtime.contacts.createMany(f.acme, fakeCustomers(40, 71), testOperator);
      ids.push(...f.ids, ...made.map((c) => c.id));
    });
    after(() => f.close());

    const readAll = async () => {
      for (const id of ids) assert.ok((await f.t.runtime.contacts.getById(f.acme, id, testReveal)).phone);
    };

    test('data written before, during and after a rotation all decrypts, and nothing is left under the old version', async () => {
      const life = f.t.runtime.keyLifecycle;
      const rotated = await life.rotate(f.acme.id, 'data', cli);
      assert.equal(rotated.version, 2);
      const running = life.runJob(rotated.jobId!, fast);
      const during = await f.t.runtime.contacts.createMany(f.acme, fakeCustomers(10, 72), testOperator);
      ids.push(...during.map((c) => c.id));
      const job = await running;
      assert.equal(job.status, 'done');
      const after = await f.t.runtime.contacts.createMany(f.acme, fakeCustomers(3, 73), testOperator);
      ids.push(...after.map((c) => c.id));
      await readAll();
      const status = await life.status(f.acme.id);
      const data = status.purposes.find((p) => p.purpose === 'data')!;
      assert.deepEqual(
        data.versions.map((v) => [v.version, v.status, v.references.customer_keys]),
        [
          [1, 'retired', 0],
          [2, 'active', ids.length],
        ],
      );
      const entries = await f.auditOf({ action: 'key_rotate' });
      assert.ok(entries.some((e) => e.target.id === 'data:2'));
    });

    test('replaying a finished job changes nothing (idempotent)', async () => {
      const jobId = (await f.t.runtime.keyLifecycle.status(f.acme.id)).jobs[0]!.id;
      await f.t.runtime.database.db
        .updateTable('key_jobs')
        .set({ status: 'running', phase: 'contacts', cursor: '' })
        .where('id', '=', jobId)
        .execute();
      const job = await f.t.runtime.keyLifecycle.runJob(jobId, fast);
      assert.equal(job.status, 'done');
      await readAll();
    });

    test('the keys API needs manageKeys and a fresh second factor; admins rotate and watch the job', async () => {
      assert.equal(
        (await asStaff(f.app, admin, 'stale').post('/api/v1/keys/restricted/rotate')).statusCode,
        401,
      );
      const agent = await f.hire('agent');
      assert.equal((await asStaff(f.app, agent).get('/api/v1/keys')).statusCode, 403);
      const res = await asStaff(f.app, admin).post('/api/v1/keys/restricted/rotate');
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { version: 2, jobId: null });
      // The root key is rotated from the CLI only (shares); unknown purposes are refused.
      const bad = await asStaff(f.app, admin).post('/api/v1/keys/root/rotate');
      assert.equal(bad.statusCode, 400);
      const status = await asStaff(f.app, admin).get('/api/v1/keys');
      assert.equal(status.statusCode, 200);
      const body = status.json<{ purposes: Array<{ purpose: string; versions: unknown[] }> }>();
      assert.equal(body.purposes.find((p) => p.purpose === 'restricted')!.versions.length, 2);
      // Data sealed under restricted v1 (operator e-mails) still opens.
      assert.ok(await f.t.runtime.operators.getById(f.acme.id, admin.id));
    });

    test('after trim the old data version decrypts nothing and nothing needs it; trim needs a second owner', async () => {
      const owner = asStaff(f.app, f.owner);
      const reason = 'rotated after the quarterly review';
      const asked = await owner.post('/api/v1/approvals', {
        kind: 'key_destroy',
        payloadRef: 'data:1',
        reason,
      });
      assert.equal(asked.statusCode, 201, asked.body);
      const approvalId = asked.json<{ request: { id: string } }>().request.id;
      const early = await owner.post('/api/v1/keys/data/trim', { version: 1, approvalId, reason });
      assert.equal(early.statusCode, 409, early.body);
      assert.equal(
        (await asStaff(f.app, secondOwner).post(`/api/v1/approvals/${approvalId}/approve`)).statusCode,
        200,
      );
      const trimmed = await owner.post('/api/v1/keys/data/trim', { version: 1, approvalId, reason });
      assert.equal(trimmed.statusCode, 200, trimmed.body);
      assert.deepEqual(trimmed.json(), { destroyed: [1] });
      await assert.rejects(f.t.runtime.keyring.tenantKey(f.acme.id, 'data', 1), KeyNotFoundError);
      await readAll();
      const v1 = await f.t.runtime.database.db
        .selectFrom('tenant_keys')
        .selectAll()
        .where('tenant_id', '=', f.acme.id)
        .where('purpose', '=', 'data')
        .where('version', '=', 1)
        .executeTakeFirstOrThrow();
      assert.equal(v1.status, 'destroyed');
      assert.equal(v1.wrapped.length, 0);
      assert.ok((await f.auditOf({ action: 'key_destroy' })).some((e) => e.target.id === 'data:1'));
      const again = await owner.post('/api/v1/keys/data/trim', { version: 1, approvalId, reason });
      assert.equal(again.statusCode, 409);
    });

    test('a version still referenced cannot be trimmed', async () => {
      const life = f.t.runtime.keyLifecycle;
      await assert.rejects(
        life.trim(f.acme.id, 'restricted', 1, { ...cli, runApproved: () => Promise.resolve() }),
        /still referenced/,
      );
    });

    test('min_decryption_version refuses older versions, and can be lowered again', async () => {
      const life = f.t.runtime.keyLifecycle;
      await life.setPolicy(f.acme.id, 'restricted', { minDecryptionVersion: 2 }, cli);
      await assert.rejects(
        f.t.runtime.keyring.tenantKey(f.acme.id, 'restricted', 1),
        /minimum decryption version/,
      );
      await life.setPolicy(f.acme.id, 'restricted', { minDecryptionVersion: 1 }, cli);
      assert.ok(await f.t.runtime.keyring.tenantKey(f.acme.id, 'restricted', 1));
      await assert.rejects(
        life.setPolicy(f.acme.id, 'restricted', { minDecryptionVersion: 9 }, cli),
        /cannot exceed/,
      );
    });

    test('keys are rotated on schedule and at the usage cap', async () => {
      const life = f.t.runtime.keyLifecycle;
      await life.setPolicy(f.acme.id, 'collect', { rotationDays: 1 }, cli);
      assert.deepEqual(await life.rotateDue(), []);
      // The data key has wrapped every customer key once by now: a cap of 5 is reached.
      await life.setPolicy(f.acme.id, 'data', { maxEncryptions: 5 }, cli);
      await f.t.runtime.contacts.createMany(f.acme, fakeCustomers(1, 74), testOperator);
      const capped = await life.rotateDue();
      assert.deepEqual(
        capped.map((r) => `${r.purpose}:${r.version}`),
        ['data:3'],
      );
      await life.setPolicy(f.acme.id, 'data', { maxEncryptions: 2 ** 30 }, cli);
      f.clock.advance(2 * 86_400_000);
      const due = await life.rotateDue();
      assert.deepEqual(
        due.map((r) => `${r.purpose}:${r.version}`),
        ['collect:2'],
      );
      assert.equal(await life.resume(fast), 1);
      await readAll();
    });

    test('an audit key rotation keeps old checkpoints verifiable', async () => {
      await f.t.runtime.audit.sequence({ forceCheckpoint: true });
      await f.t.runtime.keyLifecycle.rotate(f.acme.id, 'audit', cli);
      await f.t.runtime.contacts.createMany(f.acme, fakeCustomers(1, 75), testOperator);
      await f.t.runtime.audit.sequence({ forceCheckpoint: true });
      const checkpoints = await f.t.runtime.database.db
        .selectFrom('audit_checkpoints')
        .select('key_version')
        .where('tenant_id', '=', f.acme.id)
        .execute();
      assert.deepEqual([...new Set(checkpoints.map((c) => c.key_version))].sort(), [1, 2]);
      const verified = await f.t.runtime.audit.verify(f.acme.id);
      assert.equal(verified.ok, true, JSON.stringify(verified));
    });

    test('a root rotation rewraps every tenant key; the old root version is then destroyed and nothing breaks', async () => {
      const life = f.t.runtime.keyLifecycle;
      const rotated = await life.rotateRoot(cli);
      assert.equal(rotated.version, 2);
      await assert.rejects(life.trimRoot(1, cli), /still wraps/);
      assert.equal((await life.runJob(rotated.jobId, fast)).status, 'done');
      await life.trimRoot(1, cli);
      assert.deepEqual(
        (await life.rootStatus()).versions.map((v) => v.version),
        [2],
      );
      f.t.runtime.keyring.clear();
      await readAll();
    });

    test('a tenant key in memory is handed out without waiting: the active version only, never once sealed', async () => {
      const { keyring } = f.t.runtime;
      const tenantId = f.acme.id;
      const active = await keyring.tenantKey(tenantId, 'restricted');
      assert.equal(keyring.cachedTenantKey(tenantId, 'restricted'), active);
      assert.equal(keyring.cachedTenantKey('tn_unknown', 'restricted'), undefined);
      // A rotation makes this process re-read the active version: nothing cached until it is loaded.
      const rotated = await f.t.runtime.keyLifecycle.rotate(tenantId, 'restricted', cli);
      assert.equal(keyring.cachedTenantKey(tenantId, 'restricted'), undefined);
      const next = await keyring.tenantKey(tenantId, 'restricted');
      assert.equal(next.id, rotated.version);
      assert.equal(keyring.cachedTenantKey(tenantId, 'restricted'), next);
      await f.t.runtime.seal();
      assert.equal(keyring.cachedTenantKey(tenantId, 'restricted'), undefined);
      for (const share of f.t.shares.slice(0, 3)) await f.t.runtime.submitShare(share);
      assert.equal(f.t.runtime.provider.isSealed(), false);
    });

    test('an admin seals the vault through the API only with a fresh second factor', async () => {
      assert.equal((await asStaff(f.app, admin, 'stale').post('/api/v1/sys/seal')).statusCode, 401);
      assert.equal(f.t.runtime.provider.isSealed(), false);
      const res = await asStaff(f.app, admin).post('/api/v1/sys/seal');
      assert.equal(res.statusCode, 200);
      assert.equal(f.t.runtime.provider.isSealed(), true);
      for (const share of f.t.shares.slice(0, 3)) await f.t.runtime.submitShare(share);
      assert.equal(f.t.runtime.provider.isSealed(), false);
    });
  });
}
