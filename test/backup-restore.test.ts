import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { newId } from '../src/lib/ids.ts';
import { runCli } from './support/cli.ts';
import { encodings, findLeaks } from './support/scan.ts';
import { tempDir } from './support/targets.ts';

const customers = fakeCustomers(4, 71);

/** Backups cover the embedded SQLite database only (PostgreSQL: pg_dump), so this drill runs on SQLite. */
describe('backup and restore drill (sqlite)', () => {
  const root = tempDir('backup');
  const dataDir = path.join(root, 'data');
  const restoredDir = path.join(root, 'restored');
  const backupFile = path.join(root, 'vault.cvbackup');
  const env = (dir: string) => ({ CHATVAULT_DATA_DIR: dir, CHATVAULT_AUTO_UNSEAL: 'false' });
  const cli = (dir: string, args: string[], input?: string) => runCli(args, env(dir), input);
  const sharesFile = (name: string, shares: string[]) => {
    const file = path.join(root, `${name}.txt`);
    fs.writeFileSync(file, shares.join('\n') + '\n', { mode: 0o600 });
    return file;
  };
  let oldShares: string[] = [];
  let newShares: string[] = [];
  let blobRel = '';
  const blobBytes = randomBytes(4096);

  const find = (dir: string, phone: string, shares: string) =>
    cli(dir, [
      'contact',
      'find',
      '--tenant',
      'acme',
      '--phone',
      phone,
      '--reason',
      'restore drill check',
      '--shares-from',
      shares,
      '--json',
    ]);
  const oneLineFailure = (res: { code: number; stderr: string }) => {
    assert.notEqual(res.code, 0);
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
  };

  before(async () => {
    const init = await cli(dataDir, ['init', '--shares', '5', '--threshold', '3', '--json']);
    assert.equal(init.code, 0, init.stderr);
    oldShares = (JSON.parse(init.stdout) as { shares: string[] }).shares;
    const k = sharesFile('old-k', oldShares.slice(0, 3));
    const created = await cli(dataDir, [
      'tenant',
      'create',
      '--slug',
      'acme',
      '--name',
      'Acme',
      '--shares-from',
      k,
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const tenantId = (JSON.parse(created.stdout) as { id: string }).id;
    const lines = customers.map((c) => JSON.stringify(c)).join('\n');
    const imported = await cli(
      dataDir,
      ['contact', 'import', '--tenant', 'acme', '--file', '-', '--shares-from', k],
      lines,
    );
    assert.equal(imported.code, 0, imported.stderr);
    // A stand-in encrypted media blob, at the path the blob store uses.
    const blobId = newId('md');
    blobRel = path.join('blobs', tenantId, blobId.slice(-2), blobId);
    fs.mkdirSync(path.dirname(path.join(dataDir, blobRel)), { recursive: true });
    fs.writeFileSync(path.join(dataDir, blobRel), blobBytes);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('keys backup rekeys into a new verified share set; the old shares stop working', async () => {
    const tooFew = await cli(dataDir, [
      'keys',
      'backup',
      '--shares-from',
      sharesFile('old-2', oldShares.slice(0, 2)),
    ]);
    oneLineFailure(tooFew);
    const res = await cli(dataDir, [
      'keys',
      'backup',
      '--shares',
      '4',
      '--threshold',
      '2',
      '--shares-from',
      sharesFile('old-k2', oldShares.slice(2, 5)),
      '--json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    newShares = (JSON.parse(res.stdout) as { shares: string[] }).shares;
    assert.equal(newShares.length, 4);
    assert.ok(newShares.every((s) => !oldShares.includes(s) && !res.stderr.includes(s)));
    oneLineFailure(await find(dataDir, customers[0]!.phone, sharesFile('old-k3', oldShares.slice(0, 3))));
    const ok = await find(dataDir, customers[0]!.phone, sharesFile('new-k', newShares.slice(1, 3)));
    assert.equal(ok.code, 0, ok.stderr);
    // Put the original 3-of-5 policy back for the drill below.
    const back = await cli(dataDir, [
      'keys',
      'backup',
      '--shares',
      '5',
      '--threshold',
      '3',
      '--shares-from',
      sharesFile('new-k2', newShares.slice(2, 4)),
      '--json',
    ]);
    assert.equal(back.code, 0, back.stderr);
    newShares = (JSON.parse(back.stdout) as { shares: string[] }).shares;
  });

  test('a backup holds no share, key or customer data in the clear', async () => {
    const res = await cli(dataDir, [
      'backup',
      'create',
      backupFile,
      '--shares-from',
      sharesFile('k', newShares.slice(0, 3)),
      '--json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { blobs: number }).blobs, 1);
    const bytes = fs.readFileSync(backupFile);
    assert.deepEqual(findLeaks(bytes, customers), []);
    for (const share of [...oldShares, ...newShares])
      for (const form of encodings(share)) assert.ok(!bytes.includes(form), 'a share is in the backup');
    assert.ok(!fs.readdirSync(dataDir).some((f) => f.startsWith('.backup-')), 'snapshot temp file left');
    oneLineFailure(
      await cli(dataDir, [
        'backup',
        'create',
        backupFile,
        '--shares-from',
        sharesFile('k', newShares.slice(0, 3)),
      ]),
    );
  });

  test('restore into a fresh directory, then exactly k shares bring every customer back; k−1 do not', async () => {
    // The shred state (per-customer erasure secrets) is never inside a backup: kept apart, newest only.
    const shredCopy = path.join(root, 'shred-state.bin');
    fs.copyFileSync(path.join(dataDir, 'shred', 'state.bin'), shredCopy);
    fs.rmSync(dataDir, { recursive: true, force: true });
    const k = sharesFile('k', newShares.slice(2, 5));
    const kMinus1 = sharesFile('k-1', newShares.slice(0, 2));
    const restored = await cli(restoredDir, [
      'backup',
      'restore',
      backupFile,
      '--data-dir',
      restoredDir,
      '--shares-from',
      k,
      '--shred-from',
      shredCopy,
      '--json',
    ]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal((JSON.parse(restored.stdout) as { authenticated: boolean }).authenticated, true);
    assert.ok(!fs.existsSync(path.join(restoredDir, 'keys', 'auto-unseal.key')));
    assert.deepEqual(fs.readFileSync(path.join(restoredDir, blobRel)), blobBytes);
    oneLineFailure(await cli(restoredDir, ['backup', 'restore', backupFile, '--data-dir', restoredDir]));

    const partial = await cli(restoredDir, ['unseal', '--shares-from', kMinus1, '--json']);
    assert.equal(partial.code, 0, partial.stderr);
    assert.equal((JSON.parse(partial.stdout) as { sealed: boolean }).sealed, true);
    for (const c of customers.slice(0, 2)) {
      const res = await find(restoredDir, c.phone, kMinus1);
      oneLineFailure(res);
      assert.match(res.stderr, /sealed/);
      assert.deepEqual(findLeaks(Buffer.from(res.stdout + res.stderr), customers), []);
    }

    const unsealed = await cli(restoredDir, ['unseal', '--shares-from', k, '--json']);
    assert.equal(unsealed.code, 0, unsealed.stderr);
    assert.equal((JSON.parse(unsealed.stdout) as { sealed: boolean }).sealed, false);
    for (const c of customers) {
      const res = await find(restoredDir, c.phone, k);
      assert.equal(res.code, 0, res.stderr);
      const [found] = JSON.parse(res.stdout) as Array<{ phone: string; profileName: string }>;
      assert.equal(found?.phone, c.phone);
      assert.equal(found?.profileName, c.profileName);
    }
    const audit = await cli(restoredDir, ['audit', 'verify', '--tenant', 'acme', '--shares-from', k]);
    assert.equal(audit.code, 0, audit.stderr);
  });

  test('a flipped byte or a re-hashed, altered manifest is refused with one line and nothing restored', async () => {
    const k = sharesFile('k', newShares.slice(0, 3));
    const bytes = fs.readFileSync(backupFile);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)]! ^= 0x01;
    const flippedFile = path.join(root, 'flipped.cvbackup');
    fs.writeFileSync(flippedFile, flipped);
    const target = path.join(root, 'flipped-restore');
    for (const res of [
      await cli(target, ['backup', 'restore', flippedFile, '--data-dir', target]),
      await cli(target, ['backup', 'verify', flippedFile, '--shares-from', k]),
    ]) {
      oneLineFailure(res);
      assert.match(res.stderr, /damaged or was altered/);
    }
    assert.ok(!fs.existsSync(target) || fs.readdirSync(target).length === 0);

    // An attacker who also rewrites the manifest (checksums stay consistent) is caught by the HMAC.
    const manifestLength = bytes.readUInt32BE(bytes.length - 4);
    const end = bytes.length - 36;
    const manifest = bytes.subarray(end - manifestLength, end).toString('utf8');
    const altered = Buffer.from(manifest.replace(/"createdAt":"\d{4}/, '"createdAt":"1999'), 'utf8');
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(altered.length, 0);
    const forged = Buffer.concat([
      bytes.subarray(0, end - manifestLength),
      altered,
      bytes.subarray(end, end + 32),
      tail,
    ]);
    const forgedFile = path.join(root, 'forged.cvbackup');
    fs.writeFileSync(forgedFile, forged);
    for (const res of [
      await cli(target, ['backup', 'restore', forgedFile, '--data-dir', target, '--shares-from', k]),
      await cli(target, ['backup', 'verify', forgedFile, '--shares-from', k]),
    ]) {
      oneLineFailure(res);
      assert.match(res.stderr, /authentication failed/);
    }
    assert.ok(!fs.existsSync(target) || fs.readdirSync(target).length === 0);
    const good = await cli(target, ['backup', 'verify', backupFile, '--shares-from', k]);
    assert.equal(good.code, 0, good.stderr);
  });
});
