import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { associatedData } from '../../lib/crypto/aead.ts';
import { ConflictError, DecryptionError, InvalidSharesError, SealedError } from '../../lib/errors.ts';
import type { KeyProvider } from './key-provider.ts';
import { createLocalProvider, initLocalKeys } from './local-provider.ts';
import { createPkcs11Provider } from './pkcs11-provider.ts';
import { initRecoveryKeys } from './recovery-keys.ts';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-provider-'));
  dirs.push(dir);
  return dir;
};

type Provider = KeyProvider & { autoUnseal(): boolean };
/** Recovery shares of providers that demand them for a root rotation. */
const recoveryShares = new WeakMap<Provider, string[]>();
/** What an operator hands over to rotate the root: nothing more for local (the unseal key is held). */
const authorizeRotation = async (p: Provider) => {
  const shares = recoveryShares.get(p);
  if (shares) await p.authorizeRootRotation!(shares.slice(0, 2));
};

/** A fresh SoftHSM2 token in a temp dir (SOFTHSM2_CONF points at it; the system token dir is never used). */
function softHsmToken(): { library: string; tokenLabel: string; pin: string } {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'tokens'));
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(
    conf,
    `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const tokenLabel = `cv-${path.basename(dir).slice(-6)}`;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', tokenLabel, '--pin', '1234', '--so-pin', '5678'],
    {
      env: { ...process.env, SOFTHSM2_CONF: conf },
      stdio: 'ignore',
    },
  );
  return { library: SOFTHSM, tokenLabel, pin: '1234' };
}

const providers: Array<{ name: string; make: () => Promise<Provider> }> = [
  {
    name: 'local',
    make: async () => {
      const dir = tempDir();
      await initLocalKeys(dir, { shares: 3, threshold: 2, now: new Date(), autoUnseal: true });
      return createLocalProvider(dir);
    },
  },
];
if (fs.existsSync(SOFTHSM)) {
  // One token for the process: SoftHSM reads SOFTHSM2_CONF once, when the module is initialised.
  const token = softHsmToken();
  let n = 0;
  providers.push({
    name: 'pkcs11 (SoftHSM2)',
    make: async () => {
      // The token unseals with its PIN; k recovery shares gate root rotation.
      const recoveryDir = tempDir();
      const { shares } = await initRecoveryKeys(recoveryDir, { shares: 3, threshold: 2, now: new Date() });
      const p = createPkcs11Provider({ ...token, keyLabel: `root-${++n}`, recoveryDir });
      recoveryShares.set(p, shares);
      return p;
    },
  });
} else if (process.env.CI) {
  throw new Error(`SoftHSM2 is required in CI (${SOFTHSM} is missing)`);
}

after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const ad = associatedData('t', 'tenant_keys', 'data', '1');
const secret = Buffer.alloc(32, 7);

for (const { name, make } of providers) {
  describe(`key provider: ${name}`, () => {
    test('wraps and unwraps a key bound to its associated data', async () => {
      const p = await make();
      assert.equal(p.autoUnseal(), true);
      const wrapped = p.wrap(secret, ad);
      assert.equal(wrapped.length, 32 + 33);
      assert.equal(wrapped.includes(secret), false);
      assert.deepEqual(p.unwrap(wrapped, ad), secret);
      assert.throws(
        () => p.unwrap(wrapped, associatedData('t', 'tenant_keys', 'data', '2')),
        DecryptionError,
      );
      const flipped = Buffer.from(wrapped);
      flipped[20]! ^= 1;
      assert.throws(() => p.unwrap(flipped, ad), DecryptionError);
      p.forget();
    });

    test('a sealed provider neither wraps nor unwraps', async () => {
      const p = await make();
      p.autoUnseal();
      const wrapped = p.wrap(secret, ad);
      p.seal();
      assert.equal(p.isSealed(), true);
      assert.throws(() => p.wrap(secret, ad), SealedError);
      assert.throws(() => p.unwrap(wrapped, ad), SealedError);
      assert.throws(() => p.activeRootVersion(), SealedError);
    });

    test('root rotation: new wraps use the new version, old wraps still open until that version is destroyed', async () => {
      const p = await make();
      p.autoUnseal();
      const old = p.wrap(secret, ad);
      assert.equal(p.activeRootVersion(), 1);
      await authorizeRotation(p);
      assert.equal(p.rotateRoot(new Date()), 2);
      const fresh = p.wrap(secret, ad);
      assert.equal(fresh.readUInt32BE(1), 2);
      assert.deepEqual(p.unwrap(old, ad), secret);
      assert.deepEqual(
        p.rootVersions().map((v) => [v.version, v.active]),
        [
          [1, false],
          [2, true],
        ],
      );
      assert.throws(() => p.destroyRootVersion(2), ConflictError);
      p.destroyRootVersion(1);
      assert.throws(() => p.unwrap(old, ad), DecryptionError);
      assert.deepEqual(p.unwrap(fresh, ad), secret);
      p.forget();
    });
  });

  if (name.startsWith('pkcs11'))
    test('pkcs11: the PIN auto-unseals, yet the root rotates only with k recovery shares, once per set', async () => {
      const p = await make();
      assert.equal(p.autoUnseal(), true);
      const shares = recoveryShares.get(p)!;
      assert.throws(() => p.rotateRoot(new Date()), InvalidSharesError);
      await assert.rejects(p.authorizeRootRotation!(shares.slice(0, 1)), InvalidSharesError);
      assert.throws(() => p.rotateRoot(new Date()), InvalidSharesError);
      const otherDir = tempDir();
      const other = await initRecoveryKeys(otherDir, { shares: 3, threshold: 2, now: new Date() });
      await assert.rejects(p.authorizeRootRotation!(other.shares.slice(0, 2)), InvalidSharesError);
      await assert.rejects(p.authorizeRootRotation!([shares[0]!, other.shares[1]!]), InvalidSharesError);
      assert.equal(p.activeRootVersion(), 1);
      await p.authorizeRootRotation!([shares[2]!, shares[0]!]);
      assert.equal(p.rotateRoot(new Date()), 2);
      // One authorisation, one rotation.
      assert.throws(() => p.rotateRoot(new Date()), InvalidSharesError);
      assert.equal(p.activeRootVersion(), 2);
      p.forget();
    });
}
