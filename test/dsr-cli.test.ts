import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { openArchive } from '../src/features/dsr/export-archive.ts';
import { runCli } from './support/cli.ts';
import { tempDir } from './support/targets.ts';

const customers = fakeCustomers(2, 93);

/** The CLI drives the embedded default (SQLite) in a child process, as an operator would. */
describe('chatvault dsr export | erase (sqlite)', () => {
  const root = tempDir('dsr-cli');
  const dataDir = path.join(root, 'data');
  const env = { CHATVAULT_DATA_DIR: dataDir };
  const sharesFile = path.join(root, 'shares.txt');
  const keyed = new Set(['tenant', 'contact', 'dsr']);
  const cli = (args: string[], input?: string) =>
    runCli(keyed.has(args[0]!) ? [...args, '--shares-from', sharesFile] : args, env, input);
  const ids: string[] = [];

  before(async () => {
    const init = await cli(['init', '--shares', '3', '--threshold', '2', '--json']);
    assert.equal(init.code, 0, init.stderr);
    const { shares } = JSON.parse(init.stdout) as { shares: string[] };
    fs.writeFileSync(sharesFile, shares.slice(0, 2).join('\n') + '\n', { mode: 0o600 });
    assert.equal((await cli(['tenant', 'create', '--slug', 'acme', '--name', 'Acme', '--json'])).code, 0);
    const lines = customers.map((c) => JSON.stringify(c)).join('\n');
    const imported = await cli(['contact', 'import', '--tenant', 'acme', '--file', '-'], lines);
    assert.equal(imported.code, 0, imported.stderr);
    for (const c of customers) {
      const found = await cli([
        'contact',
        'find',
        '--tenant',
        'acme',
        '--phone',
        c.phone,
        '--reason',
        'cli test lookup',
        '--json',
      ]);
      ids.push((JSON.parse(found.stdout) as { id: string }[])[0]!.id);
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('export writes an encrypted archive and prints the passphrase once; nothing else in clear', async () => {
    const out = path.join(root, 'export.cvdsr');
    const res = await cli([
      'dsr',
      'export',
      '--tenant',
      'acme',
      '--contact',
      ids[0]!,
      '--reason',
      'request ref 42',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    const { passphrase } = JSON.parse(res.stdout) as { passphrase: string };
    const sealed = fs.readFileSync(out);
    assert.ok(!sealed.includes(Buffer.from(customers[0]!.phone)));
    const doc = JSON.parse(openArchive(sealed, passphrase).toString('utf8')) as {
      subject: { phone: string };
    };
    assert.equal(doc.subject.phone, customers[0]!.phone);
    assert.ok(!res.stderr.includes(customers[0]!.phone));
    const again = await cli([
      'dsr',
      'export',
      '--tenant',
      'acme',
      '--contact',
      ids[0]!,
      '--reason',
      'request ref 42',
      '--out',
      out,
    ]);
    assert.notEqual(again.code, 0);
    assert.equal(again.stderr.trim().split('\n').length, 1, 'a one-line reason');
  });

  test('erase destroys the key and purges; the customer is gone for good, the other stays', async () => {
    const res = await cli([
      'dsr',
      'erase',
      '--tenant',
      'acme',
      '--contact',
      ids[0]!,
      '--reason',
      'request ref 43',
      '--json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { keyDestroyedMs: number; rowsPurged: number };
    assert.ok(out.keyDestroyedMs < 5000);
    const gone = await cli([
      'contact',
      'find',
      '--tenant',
      'acme',
      '--phone',
      customers[0]!.phone,
      '--reason',
      'after erasure',
      '--json',
    ]);
    assert.deepEqual(JSON.parse(gone.stdout), []);
    const kept = await cli([
      'contact',
      'find',
      '--tenant',
      'acme',
      '--phone',
      customers[1]!.phone,
      '--reason',
      'after erasure',
      '--json',
    ]);
    assert.equal((JSON.parse(kept.stdout) as unknown[]).length, 1);
    const bad = await cli([
      'dsr',
      'erase',
      '--tenant',
      'acme',
      '--contact',
      'nope',
      '--reason',
      'request ref 44',
    ]);
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});
