import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { associatedData } from '../../lib/crypto/aead.ts';
import { DecryptionError, InvalidSharesError, SealedError } from '../../lib/errors.ts';
import { createLocalProvider, initLocalKeys, localPaths } from './local-provider.ts';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-provider-'));
const ad = associatedData('t', 'tenant_keys', 'data', '1');

test('the root key is stored only sealed, in owner-only files, and any 3 of 5 shares unseal it', async () => {
  const dataDir = dir();
  const { shares } = await initLocalKeys(dataDir, {
    shares: 5,
    threshold: 3,
    now: new Date(),
    autoUnseal: false,
  });
  const paths = localPaths(dataDir);
  assert.equal(fs.statSync(paths.keyfile).mode & 0o777, 0o600);
  assert.equal(fs.existsSync(paths.autoUnseal), false);
  const first = createLocalProvider(dataDir);
  assert.throws(() => first.wrap(Buffer.alloc(32, 1), ad), SealedError);
  for (const share of [shares[0]!, shares[2]!, shares[4]!]) await first.submitShare(share);
  const wrapped = first.wrap(Buffer.alloc(32, 1), ad);

  const second = createLocalProvider(dataDir);
  for (const share of [shares[3]!, shares[1]!, shares[0]!]) await second.submitShare(share);
  assert.deepEqual(second.unwrap(wrapped, ad), Buffer.alloc(32, 1));
  assert.throws(
    () => second.unwrap(wrapped, associatedData('t', 'tenant_keys', 'data', '2')),
    DecryptionError,
  );
  fs.rmSync(dataDir, { recursive: true });
});

test('shares of another vault are refused even when they combine', async () => {
  const a = dir();
  const b = dir();
  await initLocalKeys(a, { shares: 3, threshold: 2, now: new Date(), autoUnseal: false });
  const other = await initLocalKeys(b, { shares: 3, threshold: 2, now: new Date(), autoUnseal: false });
  const provider = createLocalProvider(a);
  await provider.submitShare(other.shares[0]!);
  await assert.rejects(provider.submitShare(other.shares[1]!), InvalidSharesError);
  assert.equal(provider.isSealed(), true);
  fs.rmSync(a, { recursive: true });
  fs.rmSync(b, { recursive: true });
});

test('auto-unseal works from the local file until the vault is sealed on purpose', async () => {
  const dataDir = dir();
  const { shares } = await initLocalKeys(dataDir, {
    shares: 5,
    threshold: 3,
    now: new Date(),
    autoUnseal: true,
  });
  const provider = createLocalProvider(dataDir);
  assert.equal(provider.autoUnseal(), true);
  provider.seal();
  assert.equal(createLocalProvider(dataDir).autoUnseal(), false);
  for (const share of shares.slice(0, 3)) await provider.submitShare(share);
  assert.equal(createLocalProvider(dataDir).autoUnseal(), true);
  fs.rmSync(dataDir, { recursive: true });
});
