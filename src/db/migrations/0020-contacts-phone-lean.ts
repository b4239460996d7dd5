import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Back to a lean phone index (0014 made it cover the wrapped key and the phone ciphertext). An exact
 * lookup now reads its handful of candidate rows whole in one statement (a few rowid fetches), and
 * every new customer writes ~110 fewer bytes into this B-tree: cheaper inserts, one query per lookup
 * instead of two.
 */
export function contactsPhoneLean(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('contacts_phone_bidx').execute();
      await db.schema
        .createIndex('contacts_phone_bidx')
        .on('contacts')
        .columns(['tenant_id', 'phone_last4_bidx', 'phone_bidx'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
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
  };
}
