import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { updateOneBlob } from '../src/features/keys/rewrap-steps.ts';
import { startTestRuntime } from './support/runtime.ts';
import { fakeMillionRowStats, planOf } from './support/sqlite-plans.ts';
import { databaseTargets } from './support/targets.ts';

// A rewrap batch must find its rows by key. The former `update … from (values …)` was planned, with a
// large tenant's statistics, as a scan of the whole table per batch (a 1M-customer rotation stalled
// live traffic ~40 ms per batch).
test('a rewrap batch update looks its rows up by key, never scans the tenant (SQLite plan)', async () => {
  const t = await startTestRuntime(databaseTargets()[0]!); // SQLite comes first
  try {
    // Statistics of a tenant with 1,000,000 customers (what ANALYZE records on a real one).
    const file = path.join(t.dataDir, 'chatvault.db');
    fakeMillionRowStats(file, ['contacts', 'messages'], '1000000 1000000 4 2 1 1 1 1');
    for (const table of ['contacts', 'messages']) {
      const compiled = updateOneBlob(
        {
          table,
          column: table === 'contacts' ? 'key_wrapped' : 'content_ct',
          keyColumn: 'id',
          tenantId: 'tn_x',
        },
        'ct_1',
        Buffer.from([1]),
        Buffer.from([2]),
      ).compile(t.runtime.database.db);
      const details = planOf(file, compiled);
      assert.match(
        details,
        new RegExp(
          `SEARCH ${table} USING (INDEX sqlite_autoindex_${table}_1|INTEGER PRIMARY KEY|PRIMARY KEY)`,
        ),
        details,
      );
      assert.doesNotMatch(
        details,
        new RegExp(`(SCAN|SEARCH) ${table} USING INDEX \\w+ \\(tenant_id=\\?\\)`),
        details,
      );
    }
  } finally {
    await t.close();
  }
});
