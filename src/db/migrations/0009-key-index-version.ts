import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Tenant `index` key rotation: each customer row records the `index` key version its blind indexes
 * were computed under, so a re-index job can resume where it stopped and prove at its end that no
 * row is left under the old version. Existing rows were all computed under version 1.
 */
export function keyIndexVersion(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('contacts')
        .addColumn('index_version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('contacts').dropColumn('index_version').execute();
    },
  };
}
