import type { Db } from '../../db/database.ts';
import { prepared } from '../../db/prepared.ts';
import type { ContactsTable } from './contacts.table.ts';

export type ContactRow = ContactsTable;

/** Every column of a contact row, in insert order; the check below fails to compile if one is missing. */
const CONTACT_COLUMNS = [
  'id',
  'tenant_id',
  'user_key',
  'wa_key',
  'key_version',
  'key_wrapped',
  'phone_ct',
  'phone_bidx',
  'phone_last4_bidx',
  'phone_is_wa_id',
  'name_ct',
  'email_ct',
  'email_bidx',
  'index_version',
  'attributes_ct',
  'country',
  'tags',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof ContactsTable)[];
const allColumnsListed: [Exclude<keyof ContactsTable, (typeof CONTACT_COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
void allColumnsListed;

// Compiled once: every customer a webhook or an import creates goes through it.
const insertRow = prepared((db, row: ContactsTable) =>
  db
    .insertInto('contacts')
    .values(Object.fromEntries(CONTACT_COLUMNS.map((c) => [c, row[c]])) as unknown as ContactsTable),
);

export async function insertContact(db: Db, row: ContactsTable): Promise<void> {
  await insertRow(db, row);
}

/**
 * Inserts a contact unless one with the same channel identity (`wa_key` / `user_key`, unique per
 * tenant) exists — even one a concurrent transaction has just committed (PostgreSQL waits for it).
 * False when it existed: read it instead. No unique violation, so the caller's transaction lives on.
 */
export async function insertContactIfNew(db: Db, row: ContactsTable): Promise<boolean> {
  const r = await db
    .insertInto('contacts')
    .values(Object.fromEntries(CONTACT_COLUMNS.map((c) => [c, row[c]])) as unknown as ContactsTable)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

function selectWithKey(db: Db, tenantId: string) {
  return db.selectFrom('contacts').selectAll('contacts').where('contacts.tenant_id', '=', tenantId);
}

const byId = prepared((db, a: { tenantId: string; id: string }) =>
  db.selectFrom('contacts').selectAll().where('tenant_id', '=', a.tenantId).where('id', '=', a.id),
);

export async function findById(db: Db, tenantId: string, id: string): Promise<ContactRow | undefined> {
  return (await byId(db, { tenantId, id })).rows[0];
}

/** One page of a tenant's contacts in id order (ids are time-ordered), after `afterId` when given. */
export async function listPage(db: Db, tenantId: string, afterId: string | undefined, limit: number) {
  let q = selectWithKey(db, tenantId);
  if (afterId !== undefined) q = q.where('contacts.id', '>', afterId);
  return q.orderBy('contacts.id').limit(limit).execute();
}

/** Blind-index candidates whose phone is not their WhatsApp id (decided inside the phone index). */
const byPhoneIndexOnly = (db: Db, a: { tenantId: string; last4: number; full: number }) =>
  db
    .selectFrom('contacts')
    .selectAll()
    .where('tenant_id', '=', a.tenantId)
    .where('phone_last4_bidx', '=', a.last4)
    .where('phone_bidx', '=', a.full)
    .where('phone_is_wa_id', '=', 0);
const byPhoneIndex = prepared(byPhoneIndexOnly);

/** The customer whose WhatsApp id is the number, plus the blind-index candidates, in one statement. */
export const phoneCandidatesQuery = (
  db: Db,
  a: { tenantId: string; wa: Buffer; last4: number; full: number },
) =>
  db
    .selectFrom('contacts')
    .selectAll()
    .where('tenant_id', '=', a.tenantId)
    .where('wa_key', '=', a.wa)
    .unionAll(byPhoneIndexOnly(db, a));
const byPhone = prepared(phoneCandidatesQuery);

/**
 * Exact-phone candidates, whole rows: the customer whose `wa_key` is the number's (one unique-index
 * probe), and those the blind indexes match among customers whose phone is not their WhatsApp id (a
 * handful by design, false positives included). `indexes` holds one pair per index version a search
 * must try. A row may come twice; the caller compares each decrypted phone.
 */
export async function findPhoneCandidates(
  db: Db,
  tenantId: string,
  wa: Buffer,
  indexes: readonly { last4: number; full: number }[],
): Promise<ContactRow[]> {
  const [first, ...others] = indexes;
  if (!first) return [];
  const rows = (await byPhone(db, { tenantId, wa, ...first })).rows;
  for (const idx of others) rows.push(...(await byPhoneIndex(db, { tenantId, ...idx })).rows);
  return rows;
}

export async function findByLast4Index(db: Db, tenantId: string, last4: number, limit: number) {
  return selectWithKey(db, tenantId).where('contacts.phone_last4_bidx', '=', last4).limit(limit).execute();
}

export const emailIndexQuery = (db: Db, tenantId: string, email: number) =>
  selectWithKey(db, tenantId).where('contacts.email_bidx', '=', email);

export async function findByEmailIndex(db: Db, tenantId: string, email: number) {
  return emailIndexQuery(db, tenantId, email).execute();
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
export const userKeyQuery = (db: Db, a: { tenantId: string; user: Buffer }) =>
  db
    .selectFrom('contacts')
    .select(identityColumns)
    .where('tenant_id', '=', a.tenantId)
    .where('user_key', '=', a.user);
const byUserKey = prepared(userKeyQuery);
const byWaKey = prepared((db, a: { tenantId: string; wa: Buffer }) =>
  db
    .selectFrom('contacts')
    .select(identityColumns)
    .where('tenant_id', '=', a.tenantId)
    .where('wa_key', '=', a.wa),
);
export const eitherKeyQuery = (db: Db, a: { tenantId: string; user: Buffer; wa: Buffer }) =>
  db
    .selectFrom('contacts')
    .select(identityColumns)
    .where('tenant_id', '=', a.tenantId)
    .where((eb) => eb.or([eb('user_key', '=', a.user), eb('wa_key', '=', a.wa)]));
const byEitherKey = prepared(eitherKeyQuery);

/** The columns a channel event needs of the contacts matching either identity key (at most two rows). */
export async function findIdentityMatches(db: Db, tenantId: string, keys: { user?: Buffer; wa?: Buffer }) {
  const { user, wa } = keys;
  if (user && wa) return (await byEitherKey(db, { tenantId, user, wa })).rows;
  if (user) return (await byUserKey(db, { tenantId, user })).rows;
  if (wa) return (await byWaKey(db, { tenantId, wa })).rows;
  return [];
}
