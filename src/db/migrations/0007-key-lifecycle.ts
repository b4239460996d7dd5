import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/** Key lifecycle: usage counters and retirement times on tenant keys, per-key policy, rotation jobs. */
export function keyLifecycle(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('tenant_keys')
        .addColumn('encryptions', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('tenant_keys').addColumn('retired_at', 'text').execute();

      await db.schema
        .createTable('key_policies')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('min_decryption_version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('rotation_days', 'integer', (c) => c.notNull())
        .addColumn('max_encryptions', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('key_policies_pk', ['tenant_id', 'purpose'])
        .execute();

      // tenant_id is 'system' for root-key jobs, so it carries no foreign key.
      await db.schema
        .createTable('key_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('target_version', 'integer', (c) => c.notNull())
        .addColumn('contact_id', 'text')
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('cursor', 'text', (c) => c.notNull())
        .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema
        .createIndex('key_jobs_status')
        .on('key_jobs')
        .columns(['status', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('key_jobs').execute();
      await db.schema.dropTable('key_policies').execute();
    },
  };
}
