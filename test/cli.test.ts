import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { runCli } from './support/cli.ts';
import { findLeaks } from './support/scan.ts';
import { databaseTargets, tempDir } from './support/targets.ts';

const customers = fakeCustomers(5, 21);

for (const target of databaseTargets()) {
  describe(`chatvault CLI (${target.name})`, () => {
    const dataDir = tempDir(`cli-${target.name}`);
    const env = { ...target.environment(dataDir), CHATVAULT_AUTO_UNSEAL: 'false' };
    const sharesFile = path.join(dataDir, '..', `${path.basename(dataDir)}-shares.txt`);
    let shares: string[] = [];
    const cli = (args: string[], input?: string) => runCli(args, env, input);

    before(async () => {
      const init = await cli(['init', '--shares', '5', '--threshold', '3', '--json']);
      assert.equal(init.code, 0, init.stderr);
      shares = (JSON.parse(init.stdout) as { shares: string[] }).shares;
      fs.writeFileSync(sharesFile, shares.slice(1, 4).join('\n') + '\n', { mode: 0o600 });
    });
    after(async () => {
      await target.cleanup(env);
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(sharesFile, { force: true });
    });

    test('init prints 5 distinct shares once and refuses to run twice', async () => {
      assert.equal(new Set(shares).size, 5);
      const again = await cli(['init']);
      assert.equal(again.code, 1);
      assert.equal(again.stderr.trim().split('\n').length, 1);
      assert.match(again.stderr, /already initialised/);
      assert.ok(shares.every((s) => !again.stderr.includes(s) && !again.stdout.includes(s)));
    });

    test('a key-needing command without an auto-unseal file or shares fails with "sealed"', async () => {
      const res = await cli(['tenant', 'create', '--slug', 'acme', '--name', 'Acme']);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /sealed/);
    });

    test('tenant create, contact import and contact find work with shares from a file', async () => {
      const created = await cli([
        'tenant',
        'create',
        '--slug',
        'acme',
        '--name',
        'Acme',
        '--shares-from',
        sharesFile,
        '--json',
      ]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal((JSON.parse(created.stdout) as { slug: string }).slug, 'acme');
      const lines = customers.map((c) => JSON.stringify(c)).join('\n');
      const imported = await cli(
        ['contact', 'import', '--tenant', 'acme', '--file', '-', '--shares-from', sharesFile],
        lines,
      );
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /Imported 5 contacts/);
      const c = customers[3]!;
      const found = await cli([
        'contact',
        'find',
        '--tenant',
        'acme',
        '--phone',
        c.phone,
        '--reason',
        'customer called about an order',
        '--shares-from',
        sharesFile,
        '--json',
      ]);
      assert.equal(found.code, 0, found.stderr);
      const [contact] = JSON.parse(found.stdout) as Array<{ phone: string; profileName: string }>;
      assert.equal(contact?.phone, c.phone);
      assert.equal(contact?.profileName, c.profileName);
      assert.deepEqual(
        findLeaks(Buffer.from(found.stderr + imported.stdout + imported.stderr), customers),
        [],
      );
    });

    test('bad input exits non-zero with one line and stores nothing', async () => {
      const bad = `${JSON.stringify(fakeCustomers(7, 22)[6])}\n{"waId":"not-digits"}\n`;
      const res = await cli(
        ['contact', 'import', '--tenant', 'acme', '--file', '-', '--shares-from', sharesFile],
        bad,
      );
      assert.equal(res.code, 1);
      assert.equal(res.stderr.trim().split('\n').length, 1);
      assert.match(res.stderr, /line\(s\) 2; nothing imported/);
      const noReason = await cli(['contact', 'find', '--tenant', 'acme', '--last4', '1234', '--reason', 'x']);
      assert.equal(noReason.code, 1);
      assert.match(noReason.stderr, /reason/);
      const unknownTenant = await cli([
        'contact',
        'find',
        '--tenant',
        'nobody',
        '--last4',
        '1234',
        '--reason',
        'checking',
        '--shares-from',
        sharesFile,
      ]);
      assert.equal(unknownTenant.code, 1);
      assert.match(unknownTenant.stderr, /Tenant not found/);
      const missing = await cli(['tenant', 'create', '--slug', 'x']);
      assert.equal(missing.code, 2);
    });

    test('every command has --help', async () => {
      for (const args of [
        ['--help'],
        ['init', '--help'],
        ['contact', 'find', '--help'],
        ['tenant', 'create', '--help'],
      ]) {
        const res = await cli(args);
        assert.equal(res.code, 0, args.join(' '));
        assert.match(res.stdout, /Usage: chatvault/);
      }
    });

    describe('against a running server on the same data directory', () => {
      let server: RunningServer;
      before(async () => {
        server = await startServer(
          loadConfig({ ...env, CHATVAULT_PORT: '0', CHATVAULT_LOG_LEVEL: 'silent' }),
          () => undefined,
        );
      });
      after(() => server.close());

      test('unseal with k shares and seal reach the server through its control socket', async () => {
        assert.equal((await server.app.inject('/readyz')).statusCode, 503);
        const unsealed = await cli(['unseal', '--shares-from', sharesFile, '--json']);
        assert.equal(unsealed.code, 0, unsealed.stderr);
        assert.equal((JSON.parse(unsealed.stdout) as { sealed: boolean }).sealed, false);
        assert.equal((await server.app.inject('/readyz')).statusCode, 200);
        const sealed = await cli(['seal']);
        assert.equal(sealed.code, 0, sealed.stderr);
        assert.match(sealed.stdout, /Sealed the running server/);
        assert.equal(server.runtime.provider.isSealed(), true);
        assert.equal((await server.app.inject('/readyz')).statusCode, 503);
      });
    });
  });
}

describe('configuration', () => {
  test('bad configuration fails at start-up with every problem in one message', async () => {
    const res = await runCli(['serve'], {
      CHATVAULT_PORT: 'eighty',
      CHATVAULT_KEY_PROVIDER: 'floppy',
      CHATVAULT_DATABASE_URL: 'mysql://x',
      CHATVAULT_DATA_DIR: tempDir('badconfig'),
    });
    assert.equal(res.code, 1);
    assert.equal(res.stderr.trim().split('\n').length, 1);
    for (const name of ['CHATVAULT_PORT', 'CHATVAULT_KEY_PROVIDER', 'CHATVAULT_DATABASE_URL']) {
      assert.match(res.stderr, new RegExp(name));
    }
  });
});
