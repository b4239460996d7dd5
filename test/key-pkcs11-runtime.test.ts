import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { initRecoveryKeys } from '../src/features/keys/recovery-keys.ts';
import { InvalidSharesError } from '../src/lib/errors.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets, tempDir } from './support/targets.ts';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';

/** A fresh SoftHSM2 token in a temp dir; the system token directory is never touched. */
function token(): { dir: string; env: Record<string, string> } {
  const dir = tempDir('softhsm');
  fs.mkdirSync(path.join(dir, 'tokens'));
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(
    conf,
    `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'chatvault', '--pin', '2468', '--so-pin', '1357'],
    {
      env: { ...process.env, SOFTHSM2_CONF: conf },
      stdio: 'ignore',
    },
  );
  return {
    dir,
    env: {
      CHATVAULT_KEY_PROVIDER: 'pkcs11',
      CHATVAULT_PKCS11_LIBRARY: SOFTHSM,
      CHATVAULT_PKCS11_TOKEN_LABEL: 'chatvault',
      CHATVAULT_PKCS11_PIN: '2468',
    },
  };
}

const hsm = fs.existsSync(SOFTHSM) ? token() : undefined;

for (const target of hsm ? databaseTargets() : []) {
  describe(`ChatVault on the pkcs11 provider (SoftHSM2, ${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    const ids: string[] = [];

    before(async () => {
      t = await startTestRuntime(target, {
        env: { ...hsm!.env, CHATVAULT_PKCS11_KEY_LABEL: `root-${target.name}` },
      });
      tenant = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      ids.push(
        ...(await t.runtime.contacts.createMany(tenant, fakeCustomers(20, 33), testOperator)).map(
          (c) => c.id,
        ),
      );
    });
    after(async () => {
      await t.close();
    });

    test('tenant keys are wrapped in the token; customers open; a root rotation moves them to a new token key', async () => {
      assert.equal(t.runtime.provider.kind, 'pkcs11');
      const life = t.runtime.keyLifecycle;
      // The HSM auto-unsealed with its PIN, yet the root rotates only with k Shamir recovery shares.
      const { shares } = await initRecoveryKeys(t.runtime.config.dataDir, {
        shares: 3,
        threshold: 2,
        now: new Date(),
      });
      await assert.rejects(life.rotateRoot({ actor: testOperator }), InvalidSharesError);
      await assert.rejects(life.rotateRoot({ actor: testOperator }, shares.slice(0, 1)), InvalidSharesError);
      assert.equal((await life.rootStatus()).versions.length, 1);
      const rotated = await life.rotateRoot({ actor: testOperator }, shares.slice(1));
      assert.equal(
        (await life.runJob(rotated.jobId, { batchSize: 3, restRatio: 0, minRestMs: 0 })).status,
        'done',
      );
      await life.trimRoot(rotated.version - 1, { actor: testOperator });
      t.runtime.keyring.clear();
      for (const id of ids) assert.ok((await t.runtime.contacts.getById(tenant, id, testReveal)).phone);
      assert.deepEqual(
        (await life.rootStatus()).versions.map((v) => v.version),
        [rotated.version],
      );
    });
  });
}

after(() => {
  if (hsm) fs.rmSync(hsm.dir, { recursive: true, force: true });
});
