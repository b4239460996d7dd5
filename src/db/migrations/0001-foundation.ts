import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/** Tenants, versioned tenant keys, per-customer keys and encrypted contacts. */
export function foundation(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('expected_contacts', 'integer', (c) => c.notNull())
        .addColumn('phone_full_bits', 'integer', (c) => c.notNull())
        .addColumn('phone_last4_bits', 'integer', (c) => c.notNull())
        .addColumn('email_bits', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('tenant_keys')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('wrapped', blob, (c) => c.notNull())
        .addColumn('public_key', blob)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('tenant_keys_pk', ['tenant_id', 'purpose', 'version'])
        .execute();

      await db.schema
        .createTable('contacts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('user_key', blob)
        .addColumn('wa_key', blob)
        .addColumn('key_version', 'integer', (c) => c.notNull())
        .addColumn('key_wrapped', blob)
        .addColumn('phone_ct', blob)
        .addColumn('phone_bidx', 'integer')
        .addColumn('phone_last4_bidx', 'integer')
        .addColumn('name_ct', blob)
        .addColumn('email_ct', blob)
        .addColumn('email_bidx', 'integer')
        .addColumn('attributes_ct', blob)
        .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('contacts_user_key')
        .unique()
        .on('contacts')
        .columns(['tenant_id', 'user_key'])
        .execute();
      await db.schema
        .createIndex('contacts_wa_key')
        .unique()
        .on('contacts')
        .columns(['tenant_id', 'wa_key'])
        .execute();
      // One index serves both the last-4 search and the exact-phone search (which matches both columns).
      await db.schema
        .createIndex('contacts_phone_bidx')
        .on('contacts')
        .columns(['tenant_id', 'phone_last4_bidx', 'phone_bidx'])
        .execute();
      await db.schema
        .createIndex('contacts_email_bidx')
        .on('contacts')
        .columns(['tenant_id', 'email_bidx'])
        .execute();

      await db.schema
        .createTable('contact_keys')
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('wrapped', blob, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('contact_keys_pk', ['contact_id', 'version'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['contact_keys', 'contacts', 'tenant_keys', 'tenants']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
