import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDb } from './create-db.ts';
import { createWalSync } from './wal-sync.ts';

/** A datasync whose runs finish only when the test says so. */
function manualDatasync() {
  const pending: Array<() => void> = [];
  return {
    started: () => pending.length,
    finishAll: () => pending.splice(0).forEach((done) => done()),
    run: () => new Promise<void>((resolve) => pending.push(resolve)),
    close: () => Promise.resolve(),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('concurrent callers share one sync; a caller arriving during a sync waits for the next one', async () => {
  const disk = manualDatasync();
  const wal = createWalSync('unused', disk);
  const first = wal.sync();
  assert.equal(disk.started(), 1);
  let lateDone = false;
  const late = Array.from({ length: 5 }, () => wal.sync().then(() => (lateDone = true)));
  assert.equal(disk.started(), 1, 'callers during a sync start none of their own');
  disk.finishAll();
  await first;
  await tick();
  // The late callers committed after the first sync began: they need a sync of their own.
  assert.equal(lateDone, false);
  assert.equal(disk.started(), 1);
  disk.finishAll();
  await Promise.all(late);
  assert.equal(wal.syncs, 2);
});

test('a failed sync fails its callers; the next call syncs again', async () => {
  let fail = true;
  const wal = createWalSync('unused', {
    run: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve()),
    close: () => Promise.resolve(),
  });
  await assert.rejects(wal.sync(), /EIO/);
  fail = false;
  await wal.sync();
  assert.equal(wal.syncs, 2);
});

test('on a SQLite file, a write is not acknowledged before the WAL is fdatasynced; reads sync nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-walsync-'));
  const handle = await createDb({ database: { kind: 'sqlite', file: path.join(dir, 'x.db') } } as never);
  const probe = await fs.promises.open(path.join(dir, 'x.db'), 'r');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  const original = proto.datasync;
  let syncs = 0;
  proto.datasync = function (this: unknown) {
    syncs++;
    return original.call(this);
  };
  try {
    await sql`create table t (x integer)`.execute(handle.db);
    const afterCreate = syncs;
    assert.ok(afterCreate >= 1);
    await handle.db.transaction().execute(async (trx) => {
      await sql`insert into t values (1)`.execute(trx);
      await sql`insert into t values (2)`.execute(trx);
      assert.equal(syncs, afterCreate, 'nothing is synced before the commit');
    });
    assert.equal(syncs, afterCreate + 1, 'the commit was synced before the transaction returned');
    await sql`select count(*) from t`.execute(handle.db);
    assert.equal(syncs, afterCreate + 1);
  } finally {
    proto.datasync = original;
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
