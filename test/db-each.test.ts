import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { createDb, type DbHandle } from '../src/db/create-db.ts';
import { runEach } from '../src/db/each.ts';
import { databaseTargets, tempDir } from './support/targets.ts';

const UPDATE = 'update each_t set v = ?, tag = ? where id = ?';
const UPDATE_PG = 'update each_t set v = $1, tag = $2 where id = $3';
const updateFor = (dialect: string) => (dialect === 'postgres' ? UPDATE_PG : UPDATE);

async function rows(db: DbHandle['db']) {
  const r = await sql<{
    id: number;
    v: number;
    tag: string;
  }>`select id, v, tag from each_t order by id`.execute(db);
  return r.rows.map((x) => [Number(x.id), Number(x.v), x.tag]);
}

for (const target of databaseTargets()) {
  describe(`runEach on ${target.name}`, () => {
    const withDb = async (fn: (h: DbHandle) => Promise<void>) => {
      const env = target.environment(tempDir(`each-${target.name}`));
      const config = loadConfig(env);
      const handle = await createDb(config);
      try {
        await sql`create table each_t (id integer primary key, v integer not null, tag text not null unique)`.execute(
          handle.db,
        );
        await sql`insert into each_t (id, v, tag) values (1, 0, 'a'), (2, 0, 'b'), (3, 0, 'c')`.execute(
          handle.db,
        );
        await fn(handle);
      } finally {
        await handle.close();
        await target.cleanup(env);
      }
    };

    test('runs the statement once per parameter set, inside the caller transaction', () =>
      withDb(async ({ db, dialect }) => {
        const changed = await db.transaction().execute((trx) =>
          runEach(trx, dialect, updateFor(dialect), [
            [10, 'x', 1],
            [30, 'z', 3],
            [99, 'none', 404], // matches no row
          ]),
        );
        assert.equal(changed, 2n);
        assert.deepEqual(await rows(db), [
          [1, 10, 'x'],
          [2, 0, 'b'],
          [3, 30, 'z'],
        ]);
        assert.equal(await runEach(db, dialect, updateFor(dialect), []), 0n);
      }));

    test('a failing set rolls the whole transaction back, earlier sets included', () =>
      withDb(async ({ db, dialect }) => {
        await assert.rejects(
          db.transaction().execute((trx) =>
            runEach(trx, dialect, updateFor(dialect), [
              [10, 'x', 1],
              [20, 'x', 2], // duplicate tag: unique violation
            ]),
          ),
          /unique/i,
        );
        assert.deepEqual(await rows(db), [
          [1, 0, 'a'],
          [2, 0, 'b'],
          [3, 0, 'c'],
        ]);
        // The connection is usable afterwards, and single-parameter queries are not mistaken for sets.
        const one = await sql<{ n: number }>`select count(*) as n from each_t where id = ${2}`.execute(db);
        assert.equal(Number(one.rows[0]!.n), 1);
      }));
  });
}

test('runEach on an in-memory SQLite database (no WAL)', async () => {
  const handle = await createDb({ database: { kind: 'sqlite', file: ':memory:' } });
  try {
    await sql`create table each_t (id integer primary key, v integer not null, tag text not null unique)`.execute(
      handle.db,
    );
    await sql`insert into each_t (id, v, tag) values (1, 0, 'a'), (2, 0, 'b')`.execute(handle.db);
    const changed = await handle.db.transaction().execute((trx) =>
      runEach(trx, 'sqlite', UPDATE, [
        [5, 'p', 1],
        [6, 'q', 2],
      ]),
    );
    assert.equal(changed, 2n);
    assert.deepEqual(await rows(handle.db), [
      [1, 5, 'p'],
      [2, 6, 'q'],
    ]);
  } finally {
    await handle.close();
  }
});
