import type { Db } from '../../db/database.ts';
import type { ContactKeysTable } from '../keys/keys.table.ts';
import type { ContactsTable } from './contacts.table.ts';

/** A contact row together with the wrapped data key it was encrypted under. */
export type ContactWithKeyRow = ContactsTable & { wrapped_key: Buffer };

export async function insertContact(db: Db, row: ContactsTable, key: ContactKeysTable): Promise<void> {
  await db.insertInto('contacts').values(row).execute();
  await db.insertInto('contact_keys').values(key).execute();
}

function selectWithKey(db: Db, tenantId: string) {
  return db
    .selectFrom('contacts')
    .innerJoin('contact_keys', (join) =>
      join
        .onRef('contact_keys.contact_id', '=', 'contacts.id')
        .onRef('contact_keys.version', '=', 'contacts.key_version'),
    )
    .selectAll('contacts')
    .select('contact_keys.wrapped as wrapped_key')
    .where('contacts.tenant_id', '=', tenantId);
}

export async function findById(db: Db, tenantId: string, id: string): Promise<ContactWithKeyRow | undefined> {
  return selectWithKey(db, tenantId).where('contacts.id', '=', id).executeTakeFirst();
}

export async function findByPhoneIndex(db: Db, tenantId: string, last4: number, full: number) {
  return selectWithKey(db, tenantId)
    .where('contacts.phone_last4_bidx', '=', last4)
    .where('contacts.phone_bidx', '=', full)
    .execute();
}

export async function findByLast4Index(db: Db, tenantId: string, last4: number, limit: number) {
  return selectWithKey(db, tenantId).where('contacts.phone_last4_bidx', '=', last4).limit(limit).execute();
}

export async function findByEmailIndex(db: Db, tenantId: string, email: number) {
  return selectWithKey(db, tenantId).where('contacts.email_bidx', '=', email).execute();
}

export async function findByIdentityKeys(db: Db, tenantId: string, keys: { user?: Buffer; wa?: Buffer }) {
  return selectWithKey(db, tenantId)
    .where((eb) =>
      eb.or([
        ...(keys.user ? [eb('contacts.user_key', '=', keys.user)] : []),
        ...(keys.wa ? [eb('contacts.wa_key', '=', keys.wa)] : []),
      ]),
    )
    .execute();
}

export async function updateContact(db: Db, tenantId: string, id: string, patch: Partial<ContactsTable>) {
  await db
    .updateTable('contacts')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function countContacts(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('contacts')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
