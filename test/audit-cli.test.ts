import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { buildLog } from './support/audit.ts';
import { runCli } from './support/cli.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { findLeaks } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

const people = fakeCustomers(3, 77);

interface VerifyJson {
  ok: boolean;
  tenants: Array<{ slug: string; ok: boolean; entries: number; problem?: { kind: string; seq?: number } }>;
}

for (const target of databaseTargets()) {
  describe(`chatvault audit verify and export (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let exportFile: string;
    const cli = (...args: string[]) => runCli(args, t.env);

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      await buildLog(t.runtime, tenant);
      exportFile = path.join(t.dataDir, 'audit-export.jsonl');
    });
    after(() => t.close());

    test('contact find is a reveal recorded in the chain, and verify passes on an untouched log', async () => {
      const imported = await runCli(
        ['contact', 'import', '--tenant', 'acme', '--file', '-'],
        t.env,
        people.map((p) => JSON.stringify(p)).join('\n'),
      );
      assert.equal(imported.code, 0, imported.stderr);
      const found = await cli(
        'contact',
        'find',
        '--tenant',
        'acme',
        '--phone',
        people[0]!.phone,
        '--reason',
        'ticket 123',
      );
      assert.equal(found.code, 0, found.stderr);
      const res = await cli('audit', 'verify', '--json');
      assert.equal(res.code, 0, res.stderr);
      const report = JSON.parse(res.stdout) as VerifyJson;
      assert.equal(report.ok, true);
      const acme = report.tenants.find((r) => r.slug === 'acme')!;
      assert.equal(
        acme.entries,
        30 + 3 + 1,
        'the 30 built entries, 3 imports and 1 reveal, all chained on exit',
      );
    });

    test('export writes JSON lines with the checkpoints and no personal data', async () => {
      const res = await cli('audit', 'export', '--tenant', 'acme', '--out', exportFile, '--json');
      assert.equal(res.code, 0, res.stderr);
      const summary = JSON.parse(res.stdout) as { entries: number; checkpoints: number };
      assert.equal(summary.entries, 34);
      assert.ok(summary.checkpoints >= 4);
      const lines = fs
        .readFileSync(exportFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; treeSize?: number });
      assert.deepEqual(
        [...new Set(lines.map((l) => l.type))],
        ['export', 'public_key', 'entry', 'checkpoint'],
      );
      assert.equal(lines.at(-1)?.treeSize, 34, 'the export ends with a checkpoint over every entry');
      assert.deepEqual(findLeaks(fs.readFileSync(exportFile), people), []);
      assert.equal((fs.statSync(exportFile).mode & 0o777).toString(8), '600');
    });

    test('verify reports the first bad entry and exits 1', async () => {
      const entry7 = () =>
        t.runtime.database.db
          .updateTable('audit_entries')
          .where('tenant_id', '=', tenant.id)
          .where('seq', '=', 7);
      const { target_id } = await t.runtime.database.db
        .selectFrom('audit_entries')
        .select('target_id')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 7)
        .executeTakeFirstOrThrow();
      await entry7().set({ target_id: 'ct_someone_else' }).execute();
      const res = await cli('audit', 'verify', '--tenant', 'acme');
      assert.equal(res.code, 1);
      assert.match(res.stdout, /acme\tFAILED at entry 7 \(entry_mismatch\)/);
      assert.equal(res.stderr.trim().split('\n').length, 1);
      assert.match(res.stderr, /Audit verification failed for 1 tenant/);
      await entry7().set({ target_id }).execute();
      assert.equal((await cli('audit', 'verify', '--tenant', 'acme')).code, 0);
    });

    test('a truncated tail is caught against the exported checkpoint', async () => {
      const db = t.runtime.database.db;
      await db
        .deleteFrom('audit_entries')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '>=', 20)
        .execute();
      const res = await cli('audit', 'verify', '--checkpoint', exportFile, '--json');
      assert.equal(res.code, 1);
      const report = JSON.parse(res.stdout) as VerifyJson;
      assert.equal(report.tenants.find((r) => r.slug === 'acme')?.problem?.kind, 'truncated');
    });
  });
}
