import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/** The per-tenant audit chain: entries, sequencer heads, signed checkpoints and stored Merkle nodes. */
export function audit(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint')
        .addColumn('hash', blob)
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason_ct', blob)
        .addColumn('detail_ct', blob)
        .addColumn('subject_id', 'text')
        .addColumn('policy_ids', 'text', (c) => c.notNull())
        .addColumn('client_ip', 'text')
        .addColumn('request_id', 'text')
        .execute();
      // Partial: pending entries (seq null) stay out of it, and reach the sequencer through the next index.
      await db.schema
        .createIndex('audit_entries_seq')
        .unique()
        .on('audit_entries')
        .columns(['tenant_id', 'seq'])
        .where(sql.ref('seq'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('audit_entries_pending')
        .on('audit_entries')
        .columns(['tenant_id', 'id'])
        .where(sql.ref('seq'), 'is', null)
        .execute();
      await db.schema
        .createIndex('audit_entries_actor')
        .on('audit_entries')
        .columns(['tenant_id', 'actor_id', 'seq'])
        .execute();
      await db.schema
        .createIndex('audit_entries_target')
        .on('audit_entries')
        .columns(['tenant_id', 'target_id', 'seq'])
        .execute();

      await db.schema
        .createTable('audit_heads')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('hash', blob, (c) => c.notNull())
        .addColumn('frontier', blob, (c) => c.notNull())
        .addColumn('checkpoint_count', 'bigint', (c) => c.notNull())
        .addColumn('checkpoint_size', 'bigint', (c) => c.notNull())
        .addColumn('checkpoint_at', 'text')
        .execute();

      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('ordinal', 'bigint', (c) => c.notNull())
        .addColumn('tree_size', 'bigint', (c) => c.notNull())
        .addColumn('root_hash', blob, (c) => c.notNull())
        .addColumn('chain_head', blob, (c) => c.notNull())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('key_version', 'integer', (c) => c.notNull())
        .addColumn('signature', blob, (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_checkpoints_pk', ['tenant_id', 'ordinal'])
        .execute();

      await db.schema
        .createTable('audit_nodes')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', 'bigint', (c) => c.notNull())
        .addColumn('hash', blob, (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_nodes_pk', ['tenant_id', 'level', 'idx'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['audit_nodes', 'audit_checkpoints', 'audit_heads', 'audit_entries']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
