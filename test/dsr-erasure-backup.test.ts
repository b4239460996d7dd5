import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { readArchive } from '../src/features/backup/archive.ts';
import { shredPaths } from '../src/features/dsr/shred-store.ts';
import type { Contact } from '../src/features/contacts/contacts.service.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { associatedData, open } from '../src/lib/crypto/aead.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createRuntime, type Runtime } from '../src/runtime.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { runCli } from './support/cli.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets, tempDir } from './support/targets.ts';

const sqlite = databaseTargets().find((d) => d.name === 'sqlite')!;

/** Database backups exist for the embedded SQLite database only, so this drill runs there. */
describe('erasure holds against an older database backup (sqlite)', () => {
  let t: TestRuntime;
  let tenant: Tenant;
  let alice: Contact;
  let bob: Contact;
  let restored: Runtime | undefined;
  const root = tempDir('dsr-backup');
  const backupFile = path.join(root, 'before-erasure.cvbackup');
  const restoredDir = path.join(root, 'restored');

  before(async () => {
    t = await startTestRuntime(sqlite);
    tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
    const system = { type: 'system' as const, id: 'dsr-test' };
    alice = await t.runtime.contacts.create(
      tenant,
      {
        waId: '447700900123',
        phone: '+447700900123',
        profileName: 'Alice Erased',
        email: 'alice@example.org',
      },
      system,
    );
    bob = await t.runtime.contacts.create(
      tenant,
      { waId: '447700900456', phone: '+447700900456', profileName: 'Bob Kept' },
      system,
    );
    await t.runtime.consent.importEvents(
      tenant.id,
      [
        {
          contactId: alice.id,
          purpose: 'marketing',
          event: 'opt_in',
          at: new Date(),
          evidence: { method: 'form' },
        },
      ],
      testOperator,
    );
  });
  after(async () => {
    await restored?.close();
    await t.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a backup taken before the erasure restores every other customer but never the erased one', async () => {
    const created = await runCli(['backup', 'create', backupFile, '--json'], t.env);
    assert.equal(created.code, 0, created.stderr);

    const outcome = await t.runtime.erasure.erase(tenant.id, alice.id, {
      actor: testOperator,
      origin: 'request',
    });
    assert.ok(outcome.keyDestroyedMs < 5000, `key destruction took ${outcome.keyDestroyedMs} ms`);
    await assert.rejects(t.runtime.contacts.getById(tenant, alice.id, testReveal));
    assert.equal((await t.runtime.contacts.getById(tenant, bob.id, testReveal)).phone, '+447700900456');
    assert.equal(await t.runtime.erasure.purgePending(), 1);
    const left = await t.runtime.database.db
      .selectFrom('contacts')
      .select('id')
      .where('id', '=', alice.id)
      .execute();
    assert.deepEqual(left, [], 'the rows are gone after the purge');
    const tombstone = await t.runtime.database.db
      .selectFrom('dsr_tombstones')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(tombstone.purge_status, 'done');

    // The strongest honest attacker: the old backup, k unseal shares, and today's shredding state.
    const sharesFile = path.join(root, 'shares.txt');
    fs.writeFileSync(sharesFile, t.shares.slice(0, 3).join('\n') + '\n', { mode: 0o600 });
    const entries = [...readArchive(backupFile).files.keys()];
    assert.ok(entries.includes('db/chatvault.db'));
    assert.ok(!entries.some((e) => e.startsWith('shred/')), 'the shredding state is never inside a backup');
    const restore = await runCli(
      [
        'backup',
        'restore',
        backupFile,
        '--data-dir',
        restoredDir,
        '--shares-from',
        sharesFile,
        '--shred-from',
        shredPaths(t.dataDir).state,
        '--json',
      ],
      { CHATVAULT_DATA_DIR: restoredDir },
    );
    assert.equal(restore.code, 0, restore.stderr);

    restored = await createRuntime(
      loadConfig({
        CHATVAULT_DATA_DIR: restoredDir,
        CHATVAULT_AUTO_UNSEAL: 'false',
        CHATVAULT_LOG_LEVEL: 'error',
      }),
      { logger: createLogger('error'), clock: systemClock },
    );
    for (const share of t.shares.slice(0, 3)) await restored.submitShare(share);
    const oldTenant = await restored.tenants.getById(tenant.id);
    assert.equal((await restored.contacts.getById(oldTenant, bob.id, testReveal)).phone, '+447700900456');

    // The erased customer's row and wrapped key are in the old backup ...
    const row = await restored.database.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', alice.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.key_wrapped && row.phone_ct);
    // ... but nothing opens them: not the service, not the keyring ...
    await assert.rejects(restored.contacts.getById(oldTenant, alice.id, testReveal));
    await assert.rejects(
      restored.keyring.openContactKey(tenant.id, alice.id, row.key_version, row.key_wrapped),
    );
    // ... and not the raw key unwrapped by hand with the tenant key: it is bound to the destroyed secret.
    const tenantData = await restored.keyring.tenantKey(tenant.id, 'data');
    const clear = open(
      tenantData,
      row.key_wrapped,
      associatedData(tenant.id, 'contact_keys', 'key', `${alice.id}:1`),
    );
    assert.equal(clear.length, 41);
    const phoneAd = associatedData(tenant.id, 'contacts', 'phone', alice.id);
    // (Control: the same construction opens the kept customer's phone with his key.)
    const bobRow = await restored.database.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', bob.id)
      .executeTakeFirstOrThrow();
    const bobKey = await restored.keyring.openContactKey(tenant.id, bob.id, 1, bobRow.key_wrapped!);
    const bobAd = associatedData(tenant.id, 'contacts', 'phone', bob.id);
    assert.ok(open(bobKey, bobRow.phone_ct!, bobAd).length > 0);
    assert.throws(() => open({ id: 1, key: clear.subarray(9) }, row.phone_ct!, phoneAd));
    const guess = createHmac('sha256', Buffer.alloc(32))
      .update('chatvault-contact-key|shred-bound|')
      .update(clear.subarray(9))
      .digest();
    assert.throws(() => open({ id: 1, key: guess }, row.phone_ct!, phoneAd));
  });
});
