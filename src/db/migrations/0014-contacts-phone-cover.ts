import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * The phone index carries what telling its candidates apart needs (the wrapped key and the phone
 * ciphertext). The blind indexes match about four customers per exact lookup by design; with this
 * covering index they are read from one index page, and only the customer that matches is fetched
 * from the table. Nothing new is stored: the same ciphertexts, in a second B-tree.
 */
export function contactsPhoneCover(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('contacts_phone_bidx').execute();
      if (dialect === 'postgres') {
        await sql`create index contacts_phone_bidx on contacts (tenant_id, phone_last4_bidx, phone_bidx)
          include (id, key_version, key_wrapped, phone_ct)`.execute(db);
      } else {
        await db.schema
          .createIndex('contacts_phone_bidx')
          .on('contacts')
          .columns([
            'tenant_id',
            'phone_last4_bidx',
            'phone_bidx',
            'id',
            'key_version',
            'key_wrapped',
            'phone_ct',
          ])
          .execute();
      }
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('contacts_phone_bidx').execute();
      await db.schema
        .createIndex('contacts_phone_bidx')
        .on('contacts')
        .columns(['tenant_id', 'phone_last4_bidx', 'phone_bidx'])
        .execute();
    },
  };
}
