import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { contactsPhoneLean } from './0020-contacts-phone-lean.ts';

/**
 * Exact phone lookups without opening every blind-index candidate. Most customers' phone number is
 * their WhatsApp id, whose full keyed hash (`wa_key`, unique per tenant) is already stored: such a
 * customer is found by one unique-index probe. `phone_is_wa_id` (1 when the phone is `+` + the wa_id)
 * tells the blind-index probe to skip them, inside the index, so it reads only customers whose phone
 * is something else. Rows written before this migration keep 0 and are still found, the old way.
 */
export function contactsPhoneIsWaId(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('contacts')
        .addColumn('phone_is_wa_id', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.dropIndex('contacts_phone_bidx').execute();
      await db.schema
        .createIndex('contacts_phone_bidx')
        .on('contacts')
        .columns(['tenant_id', 'phone_last4_bidx', 'phone_bidx', 'phone_is_wa_id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('contacts_phone_bidx').execute();
      await contactsPhoneLean(dialect).up(db);
      await sql`alter table contacts drop column phone_is_wa_id`.execute(db);
    },
  };
}
