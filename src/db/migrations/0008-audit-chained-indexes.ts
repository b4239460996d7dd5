import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

const INDEXES = [
  ['audit_entries_actor', 'actor_id'],
  ['audit_entries_target', 'target_id'],
] as const;

/**
 * The auditor's actor and target indexes cover chained entries only (`seq is not null`, which every
 * auditor query has). A pending entry then enters them once, when the sequencer chains it, instead of
 * being inserted with a null seq and moved: appending touches two fewer B-trees per entry.
 */
export function auditChainedIndexes(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const [name, column] of INDEXES) {
        await db.schema.dropIndex(name).execute();
        await db.schema
          .createIndex(name)
          .on('audit_entries')
          .columns(['tenant_id', column, 'seq'])
          .where(sql.ref('seq'), 'is not', null)
          .execute();
      }
    },
    async down(db: Kysely<unknown>) {
      for (const [name, column] of INDEXES) {
        await db.schema.dropIndex(name).execute();
        await db.schema.createIndex(name).on('audit_entries').columns(['tenant_id', column, 'seq']).execute();
      }
    },
  };
}
