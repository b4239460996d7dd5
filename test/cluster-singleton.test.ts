import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { createDb, type DbHandle } from '../src/db/create-db.ts';
import { createSingleton, type Singleton } from '../src/db/singleton.ts';
import { databaseTargets, tempDir } from './support/targets.ts';

/** Two database handles stand for two processes (each its own pool, like separate servers). */
for (const target of databaseTargets()) {
  describe(`singleton jobs (${target.name})`, () => {
    const dataDir = tempDir(`singleton-${target.name}`);
    const env = target.environment(dataDir);
    const handles: DbHandle[] = [];
    const singletons: Singleton[] = [];
    after(async () => {
      for (const s of singletons) await s.close();
      for (const h of handles) await h.close();
      await target.cleanup(env);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const open = async () => {
      const config = loadConfig(env);
      const h = await createDb(config);
      handles.push(h);
      const s = createSingleton({ dialect: h.dialect, database: config.database });
      singletons.push(s);
      return s;
    };

    test('one process at a time runs a job; others skip, and take over once it is released', async () => {
      const a = await open();
      const b = await open();
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      let started: () => void = () => undefined;
      const running = new Promise<void>((r) => (started = r));
      const first = a.run('sealer', async () => {
        started();
        await held;
        return 'a';
      });
      await running;
      if (target.name === 'sqlite') {
        // One process per SQLite file: the helper never blocks.
        assert.equal(await b.run('sealer', () => Promise.resolve('b')), 'b');
      } else {
        assert.equal(await b.run('sealer', () => Promise.resolve('b')), undefined, 'skipped while held');
        assert.equal(await b.run('other-job', () => Promise.resolve('b')), 'b', 'other names are free');
      }
      release();
      assert.equal(await first, 'a');
      assert.equal(await b.run('sealer', () => Promise.resolve('b')), 'b', 'free again after the run');
    });

    test('a failing run releases the lock', async () => {
      const a = await open();
      const b = await open();
      await assert.rejects(
        a.run('rotation', () => Promise.reject(new Error('boom'))),
        /boom/,
      );
      assert.equal(await b.run('rotation', () => Promise.resolve(1)), 1);
    });

    test(
      'a process that dies mid-run (its connection drops) releases the lock',
      { skip: target.name !== 'postgres' },
      async () => {
        const a = await open();
        const b = await open();
        const admin = handles.at(-1)!;
        let started: () => void = () => undefined;
        const running = new Promise<void>((r) => (started = r));
        const orphan = a.run('retention', async () => {
          started();
          await new Promise(() => undefined); // never finishes: the "process" is killed below
        });
        void orphan.catch(() => undefined);
        await running;
        assert.equal(await b.run('retention', () => Promise.resolve('b')), undefined);
        // kill -9 of the holder, as PostgreSQL sees it: its session ends.
        await sql`select pg_terminate_backend(pid) from pg_locks
        where locktype = 'advisory' and granted
          and objid::bigint = (hashtext(current_schema() || ':singleton:retention')::bigint & 4294967295)`.execute(
          admin.db,
        );
        let got: string | undefined;
        for (let i = 0; i < 50 && got === undefined; i++) {
          got = await b.run('retention', () => Promise.resolve('b'));
          if (got === undefined) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(got, 'b', 'the survivor takes the job over');
      },
    );
  });
}
