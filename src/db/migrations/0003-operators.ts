import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/** Staff accounts of a tenant. Their e-mail and name are personal data too: sealed, indexed, masked. */
export function operators(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('email_key', blob, (c) => c.notNull())
        .addColumn('email_ct', blob, (c) => c.notNull())
        .addColumn('name_ct', blob)
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('operators_email_key')
        .unique()
        .on('operators')
        .columns(['tenant_id', 'email_key'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('operators').execute();
    },
  };
}
