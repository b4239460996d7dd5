import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * The data-subject archive lists the audit entries about one customer (`subject_id`): a partial index
 * over chained entries with a subject, like the actor and target indexes (0008), so an export reads
 * that customer's entries instead of the tenant's whole log, and appends stay as cheap as before.
 */
export function privacyOps(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('audit_entries_subject')
        .on('audit_entries')
        .columns(['tenant_id', 'subject_id', 'seq'])
        .where(sql.ref('seq'), 'is not', null)
        .where(sql.ref('subject_id'), 'is not', null)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('audit_entries_subject').execute();
    },
  };
}
