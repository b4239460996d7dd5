// The plaintext baseline for the store suite: the same customer fields in clear columns with a plain
// index on the phone number, written and read through Kysely exactly like the encrypted contacts.
import { sql, type Kysely } from 'kysely';
import type { CreateContactInput } from '../../src/features/contacts/contacts.schema.ts';
import { newId } from '../../src/lib/ids.ts';
import { normalizePhone } from '../../src/features/vault/normalize.ts';

interface PlainRow {
  id: string;
  tenant_id: string;
  wa_id: string;
  phone: string;
  name: string | null;
  email: string | null;
  attributes: string;
  tags: string;
  created_at: string;
  updated_at: string;
}

type PlainDb = Kysely<{ plain_contacts: PlainRow }>;

export function createPlainStore(anyDb: unknown, tenantId: string) {
  const db = anyDb as PlainDb;
  const toRow = (c: CreateContactInput & { waId: string }, id = newId('ct')): PlainRow => {
    const now = new Date().toISOString();
    return {
      id,
      tenant_id: tenantId,
      wa_id: c.waId,
      phone: `+${c.waId}`,
      name: c.profileName ?? null,
      email: c.email ?? null,
      attributes: JSON.stringify(c.attributes ?? {}),
      tags: JSON.stringify(c.tags ?? []),
      created_at: now,
      updated_at: now,
    };
  };
  return {
    async createTable() {
      await sql`create table plain_contacts (id text primary key, tenant_id text not null, wa_id text not null,
        phone text not null, name text, email text, attributes text not null, tags text not null,
        created_at text not null, updated_at text not null)`.execute(db);
      await sql`create unique index plain_contacts_wa on plain_contacts (tenant_id, wa_id)`.execute(db);
      await sql`create index plain_contacts_phone on plain_contacts (tenant_id, phone)`.execute(db);
    },
    async insertMany(batch: Array<CreateContactInput & { waId: string }>) {
      await db.transaction().execute(async (trx) => {
        for (const c of batch) await trx.insertInto('plain_contacts').values(toRow(c)).execute();
      });
    },
    /** One customer, one transaction, with the same identity check as the encrypted path. */
    async insertOne(c: CreateContactInput & { waId: string; id: string }) {
      await db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('plain_contacts')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('wa_id', '=', c.waId)
          .execute();
        if (existing.length > 0) throw new Error('duplicate');
        await trx.insertInto('plain_contacts').values(toRow(c, c.id)).execute();
      });
    },
    /** The same lookup as the vault's: a typed-in number is normalised first, then looked up. */
    async findByPhone(phone: string) {
      const e164 = normalizePhone(phone);
      const rows = await db
        .selectFrom('plain_contacts')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('phone', '=', e164)
        .execute();
      return rows.map((r) => ({
        ...r,
        attributes: JSON.parse(r.attributes) as unknown,
        tags: JSON.parse(r.tags) as unknown,
      }));
    },
  };
}
