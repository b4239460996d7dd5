import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Audit entries name the sign-in session they were written in (its public id, never its secret), so
 * a blast radius can be computed per session. Nullable: older entries and entries written outside a
 * signed-in request have none, and keep their hashes (the field is only encoded when present). The
 * index is partial, so appends outside a session touch no extra B-tree.
 */
export function auditSession(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('audit_entries').addColumn('session_id', 'text').execute();
      await db.schema
        .createIndex('audit_entries_session')
        .on('audit_entries')
        .columns(['tenant_id', 'session_id', 'seq'])
        .where(sql.ref('session_id'), 'is not', null)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('audit_entries_session').execute();
      await db.schema.alterTable('audit_entries').dropColumn('session_id').execute();
    },
  };
}
