import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * The customer's country becomes a column of `contacts`, written by the very statement that writes the
 * phone (create, import, ingest, update), so segments never open a phone number and a new customer
 * costs no second insert. Countries already derived (`contact_countries`) move over; customers with no
 * phone get `ZZ` (nothing to open). Those with a phone and no country yet stay null: the campaigns'
 * legacy backfill (`refreshCountries`) opens each of them once, audited.
 */
export function contactCountriesAtWrite(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('contacts').addColumn('country', 'text').execute();
      await sql`update contacts set country = (select k.country from contact_countries k
        where k.contact_id = contacts.id)`.execute(db);
      await settlePhonelessCountries(db);
      await db.schema.dropTable('contact_countries').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema
        .createTable('contact_countries')
        .addColumn('contact_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('country', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('contact_countries_tenant')
        .on('contact_countries')
        .columns(['tenant_id', 'country'])
        .execute();
      await sql`insert into contact_countries (contact_id, tenant_id, country)
        select id, tenant_id, country from contacts where country is not null`.execute(db);
      await sql`alter table contacts drop column country`.execute(db);
    },
  };
}

/** Customers without a phone and without a country get `ZZ`: nothing needs opening for them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration step, also run by tests on the typed handle
export async function settlePhonelessCountries(db: Kysely<any>): Promise<void> {
  await sql`update contacts set country = 'ZZ' where country is null and phone_ct is null`.execute(db);
}
