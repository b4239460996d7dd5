import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * A tenant's customers in id order: key jobs (rewrap, re-index, their final verification) walk a
 * tenant's contacts with `tenant_id = ? and id > ? order by id limit ?`. Without this index SQLite took
 * the phone index's `tenant_id` prefix and sorted every row of the tenant for each batch (~40 ms at
 * 200,000 customers, on the event loop, however small the batch): a throttled rewrap crawled at
 * ~150 rows/s and still stalled live ingest. With it, a batch reads only its own rows, in order.
 */
export function contactsTenantId(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('contacts_tenant_id').on('contacts').columns(['tenant_id', 'id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('contacts_tenant_id').execute();
    },
  };
}
