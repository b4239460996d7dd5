import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDb } from './create-db.ts';
import { dropValueSamples } from './planner-samples.ts';

const count = async (db: Parameters<typeof dropValueSamples>[0], table: string) =>
  Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);

test('opening a SQLite database drops ANALYZE value samples and keeps the index statistics', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-samples-'));
  const file = path.join(dir, 'samples.db');
  try {
    const first = await createDb({ database: { kind: 'sqlite', file } });
    assert.equal(await dropValueSamples(first.db), false, 'a fresh database has none');
    await sql`create table t (id integer primary key, bidx integer not null)`.execute(first.db);
    await sql`create index t_bidx on t (bidx)`.execute(first.db);
    await sql`with recursive s(v) as (select 1 union all select v + 1 from s where v < 5000)
      insert into t (bidx) select v % 97 from s`.execute(first.db);
    await sql`analyze`.execute(first.db);
    assert.ok((await count(first.db, 'sqlite_stat4')) > 0, 'this SQLite build writes samples');
    await first.close();

    const reopened = await createDb({ database: { kind: 'sqlite', file } });
    try {
      assert.equal(await count(reopened.db, 'sqlite_stat4'), 0);
      assert.ok((await count(reopened.db, 'sqlite_stat1')) > 0, 'per-index statistics stay');
      const plan = await sql<{
        detail: string;
      }>`explain query plan select id from t where bidx = ${5}`.execute(reopened.reader);
      assert.match(plan.rows.map((r) => r.detail).join(' '), /USING (COVERING )?INDEX t_bidx/);
      const found = await sql<{ n: number }>`select count(*) as n from t where bidx = ${5}`.execute(
        reopened.reader,
      );
      assert.equal(Number(found.rows[0]!.n), 52);
    } finally {
      await reopened.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
