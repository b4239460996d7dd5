import type { Db } from '../../db/database.ts';
import type { ContactKeysTable, TenantKeysTable } from './keys.table.ts';

export async function insertTenantKey(
  db: Db,
  row: Omit<TenantKeysTable, 'encryptions' | 'retired_at'>,
): Promise<void> {
  await db
    .insertInto('tenant_keys')
    .values({ ...row, encryptions: 0, retired_at: null })
    .execute();
}

export async function findTenantKey(db: Db, tenantId: string, purpose: string, version: number) {
  return db
    .selectFrom('tenant_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('purpose', '=', purpose)
    .where('version', '=', version)
    .executeTakeFirst();
}

export async function findActiveTenantKeyVersion(db: Db, tenantId: string, purpose: string) {
  const row = await db
    .selectFrom('tenant_keys')
    .select('version')
    .where('tenant_id', '=', tenantId)
    .where('purpose', '=', purpose)
    .where('status', '=', 'active')
    .orderBy('version', 'desc')
    .executeTakeFirst();
  return row?.version;
}

/** Every version of one tenant key purpose, oldest first. */
export async function listTenantKeys(db: Db, tenantId: string, purpose: string) {
  return db
    .selectFrom('tenant_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('purpose', '=', purpose)
    .orderBy('version')
    .execute();
}

export async function insertContactKey(db: Db, row: ContactKeysTable): Promise<void> {
  await db.insertInto('contact_keys').values(row).execute();
}

/** The wrapped customer key of this version: the current one from the contact row, else a retired one. */
export async function findContactKey(db: Db, tenantId: string, contactId: string, version: number) {
  const current = await db
    .selectFrom('contacts')
    .select('key_wrapped')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', contactId)
    .where('key_version', '=', version)
    .executeTakeFirst();
  if (current) return current.key_wrapped ? { wrapped: current.key_wrapped, status: 'active' } : undefined;
  return db
    .selectFrom('contact_keys')
    .select(['wrapped', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('contact_id', '=', contactId)
    .where('version', '=', version)
    .executeTakeFirst();
}
