import type { Db } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
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

const identityColumns = [
  'id',
  'user_key',
  'wa_key',
  'key_version',
  'key_wrapped',
  'phone_ct',
  'name_ct',
] as const satisfies readonly (keyof ContactsTable)[];

// Every inbound message looks its customer up by identity: compiled once per shape (see prepared.ts).
const byUserKey = prepared((db, a: { tenantId: string; user: Buffer }) =>
  db
    .selectFrom('contacts')
    .select(identityColumns)
    .where('tenant_id', '=', a.tenantId)
    .where('user_key', '=', a.user),
);
const byWaKey = prepared((db, a: { tenantId: string; wa: Buffer }) =>
  db
    .selectFrom('contacts')
    .select(identityColumns)
    .where('tenant_id', '=', a.tenantId)
    .where('wa_key', '=', a.wa),
);
const byEitherKey = prepared((db, a: { tenantId: string; user: Buffer; wa: Buffer }) =>
  db
    .selectFrom('contacts')
    .select(identityColumns)
    .where('tenant_id', '=', a.tenantId)
    .where((eb) => eb.or([eb('user_key', '=', a.user), eb('wa_key', '=', a.wa)])),
);

/** The columns a channel event needs of the contacts matching either identity key (at most two rows). */
export async function findIdentityMatches(db: Db, tenantId: string, keys: { user?: Buffer; wa?: Buffer }) {
  const { user, wa } = keys;
  if (user && wa) return (await byEitherKey(db, { tenantId, user, wa })).rows;
  if (user) return (await byUserKey(db, { tenantId, user })).rows;
  if (wa) return (await byWaKey(db, { tenantId, wa })).rows;
  return [];
}
