import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createDb, migrateToLatest } from '../src/db/create-db.ts';

const url = process.env.CHATVAULT_TEST_DATABASE_URL;

// Each test run and each tenant of a shared PostgreSQL database lives in its own schema; migrating one
// must neither see nor trip over the others, even while they are created and dropped.
describe('PostgreSQL schemas', { skip: url ? false : 'CHATVAULT_TEST_DATABASE_URL is not set' }, () => {
  const connectionString = url ?? '';
  const schemaName = () => `t_${randomBytes(6).toString('hex')}`;

  async function withClient<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }

  test('migrations succeed while other schemas with tables are created and dropped', async () => {
    let churning = true;
    const churn = withClient(async (client) => {
      let rounds = 0;
      while (churning || rounds < 20) {
        const other = schemaName();
        await client.query(`create schema "${other}"`);
        await client.query(`create table "${other}".t (id serial primary key, v text)`);
        await client.query(`drop schema "${other}" cascade`);
        rounds += 1;
      }
      return rounds;
    });
    const mine = [schemaName(), schemaName(), schemaName()];
    try {
      for (const schema of mine) {
        const handle = await createDb({ database: { kind: 'postgres', url: connectionString, schema } });
        try {
          await migrateToLatest(handle);
          const tables = await handle.db.introspection.getTables();
          assert.ok(tables.length > 5);
          assert.ok(
            tables.every((t) => t.schema === schema),
            'only our own schema is introspected',
          );
          await migrateToLatest(handle); // a second run finds everything applied
        } finally {
          await handle.close();
        }
      }
    } finally {
      churning = false;
      assert.ok((await churn) >= 20);
      await withClient(async (client) => {
        for (const schema of mine) await client.query(`drop schema if exists "${schema}" cascade`);
      });
    }
  });
});
