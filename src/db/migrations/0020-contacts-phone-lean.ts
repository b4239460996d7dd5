import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { contactsPhoneCover } from './0014-contacts-phone-cover.ts';

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
    // Back to 0014's covering index.
    down: (db: Kysely<unknown>) => contactsPhoneCover(dialect).up(db),
  };
}
