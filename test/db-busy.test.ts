// SQLite only: another process (a CLI command) holding the write lock. Statements wait for it without
// blocking the event loop, and give up with SQLITE_BUSY (a 503) after the wait, having written nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { isBusy } from '../src/db/busy-retry.ts';
import { createDb, type DbHandle } from '../src/db/create-db.ts';
import { isStorageUnavailable } from '../src/db/unavailable.ts';
import { tempDir } from './support/targets.ts';

async function withDb(
  busyWaitMs: number,
  fn: (handle: DbHandle, other: SQLite.Database) => Promise<void>,
): Promise<void> {
  const dir = tempDir('busy');
  const config = loadConfig({ CHATVAULT_DATA_DIR: dir });
  assert.equal(config.database.kind, 'sqlite');
  const handle = await createDb(config, { busyWaitMs });
  // The other process's connection: it waits for nothing, so it fails rather than queue behind us.
  const other = new SQLite(config.database.kind === 'sqlite' ? config.database.file : '', { timeout: 0 });
  try {
    await sql`create table busy_t (id integer primary key, v text not null)`.execute(handle.db);
    await fn(handle, other);
  } finally {
    if (other.inTransaction) other.exec('rollback');
    other.close();
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts event-loop turns until the returned stop function is called. */
function loopTurns(): () => number {
  let turns = 0;
  const timer = setInterval(() => turns++, 1);
  return () => {
    clearInterval(timer);
    return turns;
  };
}

const count = async (db: DbHandle['db']) =>
  Number((await sql<{ n: number }>`select count(*) as n from busy_t`.execute(db)).rows[0]!.n);

describe('SQLite writes while another process holds the write lock', () => {
  test('a transaction waits for the lock without blocking the event loop, then commits', async () => {
    await withDb(5000, async ({ db }, other) => {
      other.exec('begin immediate');
      other.prepare('insert into busy_t (id, v) values (1, ?)').run('theirs');
      const stop = loopTurns();
      let done = false;
      const write = db
        .transaction()
        .execute((trx) => sql`insert into busy_t (id, v) values (2, 'ours')`.execute(trx))
        .then(() => (done = true));
      await sleep(300);
      const turns = stop();
      assert.equal(done, false, 'the transaction must not begin while the other writer holds the lock');
      // A blocking busy_timeout would have held the loop for the whole 300 ms (a handful of turns).
      assert.ok(turns >= 40, `the event loop kept turning while waiting (${turns} turns in 300 ms)`);
      other.exec('commit');
      await write;
      assert.equal(done, true);
      assert.equal(await count(db), 2);
    });
  });

  test('a statement outside a transaction waits the same way', async () => {
    await withDb(5000, async ({ db }, other) => {
      other.exec('begin immediate');
      const write = sql`insert into busy_t (id, v) values (3, 'ours')`.execute(db);
      await sleep(100);
      other.exec('commit');
      await write;
      assert.equal(await count(db), 1);
    });
  });

  test('past the wait the write fails busy (503), writes nothing, and succeeds once the lock is free', async () => {
    await withDb(200, async ({ db }, other) => {
      other.exec('begin immediate');
      const started = Date.now();
      const error = await db
        .transaction()
        .execute((trx) => sql`insert into busy_t (id, v) values (4, 'ours')`.execute(trx))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const waited = Date.now() - started;
      assert.ok(isBusy(error), `expected SQLITE_BUSY, got ${String(error)}`);
      assert.ok(isStorageUnavailable(error), 'a lock held past the wait answers 503 (retry later)');
      assert.ok(waited >= 150 && waited < 2000, `gave up after the configured wait (${waited} ms)`);
      other.exec('rollback');
      assert.equal(await count(db), 0);
      await db
        .transaction()
        .execute((trx) => sql`insert into busy_t (id, v) values (4, 'ours')`.execute(trx));
      assert.equal(await count(db), 1);
    });
  });

  test('an error other than busy is not retried', async () => {
    await withDb(5000, async ({ db }) => {
      await sql`insert into busy_t (id, v) values (5, 'x')`.execute(db);
      const started = Date.now();
      await assert.rejects(sql`insert into busy_t (id, v) values (5, 'again')`.execute(db), /UNIQUE/);
      assert.ok(Date.now() - started < 1000);
    });
  });
});
