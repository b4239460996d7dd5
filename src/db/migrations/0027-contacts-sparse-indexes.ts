import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Customers without a user id (most WhatsApp customers) or without an email stay out of those two
 * indexes. Every index an insert touches is one more page the commit writes to the WAL and syncs,
 * so a new WhatsApp-only customer now writes one page fewer. Lookups (`user_key = ?`,
 * `email_bidx = ?`) imply `is not null`, so both databases still use the indexes for them, and the
 * user key stays unique per tenant where it exists.
 */
export function contactsSparseIndexes(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('contacts_user_key').execute();
      await db.schema
        .createIndex('contacts_user_key')
        .unique()
        .on('contacts')
        .columns(['tenant_id', 'user_key'])
        .where(sql.ref('user_key'), 'is not', null)
        .execute();
      await db.schema.dropIndex('contacts_email_bidx').execute();
      await db.schema
        .createIndex('contacts_email_bidx')
        .on('contacts')
        .columns(['tenant_id', 'email_bidx'])
        .where(sql.ref('email_bidx'), 'is not', null)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('contacts_user_key').execute();
      await db.schema
        .createIndex('contacts_user_key')
        .unique()
        .on('contacts')
        .columns(['tenant_id', 'user_key'])
        .execute();
      await db.schema.dropIndex('contacts_email_bidx').execute();
      await db.schema
        .createIndex('contacts_email_bidx')
        .on('contacts')
        .columns(['tenant_id', 'email_bidx'])
        .execute();
    },
  };
}
