import type { Db } from '../../db/database.ts';
import type { ContactsTable } from './contacts.table.ts';

export type ContactRow = ContactsTable;

export async function insertContact(db: Db, row: ContactsTable): Promise<void> {
  await db.insertInto('contacts').values(row).execute();
}

function selectWithKey(db: Db, tenantId: string) {
  return db.selectFrom('contacts').selectAll('contacts').where('contacts.tenant_id', '=', tenantId);
}

export async function findById(db: Db, tenantId: string, id: string): Promise<ContactRow | undefined> {
  return selectWithKey(db, tenantId).where('contacts.id', '=', id).executeTakeFirst();
}

/** One page of a tenant's contacts in id order (ids are time-ordered), after `afterId` when given. */
export async function listPage(db: Db, tenantId: string, afterId: string | undefined, limit: number) {
  let q = selectWithKey(db, tenantId);
  if (afterId !== undefined) q = q.where('contacts.id', '>', afterId);
  return q.orderBy('contacts.id').limit(limit).execute();
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
