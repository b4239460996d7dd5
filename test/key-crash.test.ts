import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { countReferences } from '../src/features/keys/references.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { associatedData, keyVersionOf, open, seal } from '../src/lib/crypto/aead.ts';
import { newId } from '../src/lib/ids.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const main = path.resolve(import.meta.dirname, '../src/main.ts');
const fast = { batchSize: 50, restRatio: 0, minRestMs: 0 };

/** Starts `chatvault …` and kills it with SIGKILL once `ready()` says the job has moved. */
async function killMidway(args: string[], env: Record<string, string>, ready: () => Promise<boolean>) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    if (await ready()) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  await exited;
  return stderr;
}

for (const target of databaseTargets()) {
  describe(`key jobs survive kill -9 (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    const ids: string[] = [];

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      const made = await t.runtime.contacts.createMany(tenant, fakeCustomers(300, 91), testOperator);
      ids.push(...made.map((c) => c.id));
    });
    after(() => t.close());

    const job = (kind: string) =>
      t.runtime.database.db.selectFrom('key_jobs').selectAll().where('kind', '=', kind).executeTakeFirst();

    test('a rewrap killed mid-way finishes after restart; every customer opens; the old version can be trimmed', async () => {
      const stderr = await killMidway(
        [
          'keys',
          'rotate',
          '--tenant',
          'acme',
          '--purpose',
          'data',
          '--batch-size',
          '5',
          '--rest-ratio',
          '20',
        ],
        t.env,
        async () => ((await job('rewrap'))?.done ?? 0) >= 50,
      );
      assert.match(stderr, /rewrap kj_\w+ \[/);
      const killed = (await job('rewrap'))!;
      assert.equal(killed.status, 'running');
      assert.ok(killed.done > 0 && killed.done < 300, `done ${killed.done}`);
      const d = { db: t.runtime.database.db, dialect: t.runtime.database.dialect };
      assert.ok((await countReferences(d, tenant.id, 'data', 1)).customer_keys! > 0);

      assert.equal(await t.runtime.keyLifecycle.resume(fast), 1);
      assert.equal((await job('rewrap'))!.status, 'done');
      for (const id of ids) assert.ok((await t.runtime.contacts.getById(tenant, id, testReveal)).phone);
      assert.deepEqual(await countReferences(d, tenant.id, 'data', 1), {
        customer_keys: 0,
        retired_customer_keys: 0,
      });
      await t.runtime.keyLifecycle.trim(tenant.id, 'data', 1, {
        actor: testOperator,
        runApproved: () => Promise.resolve(),
      });
      t.runtime.keyring.clear();
      for (const id of ids.slice(0, 20))
        assert.ok((await t.runtime.contacts.getById(tenant, id, testReveal)).phone);
    });

    test('a customer-key re-encryption killed mid-way finishes after restart; nothing is left under the old key', async () => {
      const contactId = ids[0]!;
      const key = await t.runtime.keyring.contactKey(tenant.id, contactId, 1);
      const at = new Date().toISOString();
      const rows = Array.from({ length: 120 }, () => {
        const id = newId('ce');
        return {
          id,
          tenant_id: tenant.id,
          contact_id: contactId,
          purpose: 'marketing' as const,
          event: 'opt_in' as const,
          source: 'test',
          evidence_ct: seal(
            key,
            Buffer.from(`evidence ${id}`),
            associatedData(tenant.id, 'consent_events', 'evidence', id),
          ),
          at,
          created_at: at,
        };
      });
      await t.runtime.database.db.insertInto('consent_events').values(rows).execute();

      await killMidway(
        [
          'keys',
          'rotate',
          '--tenant',
          'acme',
          '--purpose',
          'contact',
          '--contact',
          contactId,
          '--batch-size',
          '2',
          '--rest-ratio',
          '20',
        ],
        t.env,
        async () => ((await job('reencrypt'))?.done ?? 0) >= 10,
      );
      const killed = (await job('reencrypt'))!;
      assert.equal(killed.status, 'running');

      assert.equal(await t.runtime.keyLifecycle.resume(fast), 1);
      assert.equal((await job('reencrypt'))!.status, 'done');
      const contact = await t.runtime.contacts.getById(tenant, contactId, testReveal);
      assert.ok(contact.phone);
      const current = await t.runtime.database.db
        .selectFrom('contacts')
        .select('key_version')
        .where('id', '=', contactId)
        .executeTakeFirstOrThrow();
      assert.equal(current.key_version, 2);
      const v2 = await t.runtime.keyring.contactKey(tenant.id, contactId, 2);
      const stored = await t.runtime.database.db
        .selectFrom('consent_events')
        .select(['id', 'evidence_ct'])
        .where('contact_id', '=', contactId)
        .execute();
      assert.equal(stored.length, 120);
      for (const r of stored) {
        assert.equal(keyVersionOf(r.evidence_ct!), 2);
        const clear = open(v2, r.evidence_ct!, associatedData(tenant.id, 'consent_events', 'evidence', r.id));
        assert.equal(clear.toString(), `evidence ${r.id}`);
      }
    });

    test('an index re-indexing killed mid-way finishes after restart; find-by-phone works throughout', async () => {
      const sample = await Promise.all(
        [ids[0]!, ids[150]!, ids[299]!].map((id) => t.runtime.contacts.getById(tenant, id, testReveal)),
      );
      const findsSample = async () => {
        for (const c of sample)
          assert.deepEqual(
            (await t.runtime.contacts.findByPhone(tenant, c.phone!, testReveal)).map((f) => f.id),
            [c.id],
          );
      };
      await findsSample();
      const stderr = await killMidway(
        [
          'keys',
          'rotate',
          '--tenant',
          'acme',
          '--purpose',
          'index',
          '--batch-size',
          '5',
          '--rest-ratio',
          '20',
        ],
        t.env,
        async () => ((await job('reindex'))?.done ?? 0) >= 50,
      );
      assert.match(stderr, /reindex kj_\w+ \[/);
      const killed = (await job('reindex'))!;
      assert.equal(killed.status, 'running');
      assert.ok(killed.done > 0 && killed.done < 300, `done ${killed.done}`);
      await findsSample();
      assert.equal(await t.runtime.keyLifecycle.resume(fast), 1);
      assert.equal((await job('reindex'))!.status, 'done');
      const left = await t.runtime.database.db
        .selectFrom('contacts')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('index_version', '<>', killed.target_version)
        .execute();
      assert.deepEqual(left, []);
      t.runtime.keyring.clear();
      await findsSample();
    });
  });
}
