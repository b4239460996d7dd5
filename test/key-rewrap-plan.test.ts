import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { updateOneBlob } from '../src/features/keys/rewrap-steps.ts';
import { startTestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

// A rewrap batch must find its rows by key. The former `update … from (values …)` was planned, with a
// large tenant's statistics, as a scan of the whole table per batch (a 1M-customer rotation stalled
// live traffic ~40 ms per batch).
test('a rewrap batch update looks its rows up by key, never scans the tenant (SQLite plan)', async () => {
  const t = await startTestRuntime(databaseTargets()[0]!); // SQLite comes first
  try {
    // Statistics of a tenant with 1,000,000 customers (what ANALYZE records on a real one).
    const file = path.join(t.dataDir, 'chatvault.db');
    const writer = new SQLite(file);
    writer.exec('analyze');
    writer.exec('delete from sqlite_stat1');
    const insert = writer.prepare('insert into sqlite_stat1 (tbl, idx, stat) values (?, ?, ?)');
    for (const table of ['contacts', 'messages']) {
      for (const idx of writer.prepare(`select name from pragma_index_list('${table}')`).all() as Array<{
        name: string;
      }>)
        insert.run(
          table,
          idx.name,
          idx.name.startsWith('sqlite_autoindex') ? '1000000 1' : '1000000 1000000 4 2 1 1 1 1',
        );
      insert.run(table, null, '1000000');
    }
    writer.close();
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
      const raw = new SQLite(file, { readonly: true });
      try {
        const plan = raw
          .prepare(`explain query plan ${compiled.sql}`)
          .all(...(compiled.parameters as unknown[])) as Array<{ detail: string }>;
        const details = plan.map((p) => p.detail).join(' | ');
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
      } finally {
        raw.close();
      }
    }
  } finally {
    await t.close();
  }
});
