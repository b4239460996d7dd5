import type { Db } from '../../db/database.ts';
import type { VendorApiKeysTable } from './api-keys.table.ts';

export async function insertKey(db: Db, row: VendorApiKeysTable): Promise<void> {
  await db.insertInto('vendor_api_keys').values(row).execute();
}

/** The key and its vendor in one query (the check on every vendor request). */
export async function findKeyWithVendor(db: Db, keyId: string) {
  const key = await db.selectFrom('vendor_api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
  if (!key) return undefined;
  const vendor = await db
    .selectFrom('vendors')
    .selectAll()
    .where('tenant_id', '=', key.tenant_id)
    .where('id', '=', key.vendor_id)
    .executeTakeFirstOrThrow();
  return { key, vendor };
}

export async function findKey(db: Db, tenantId: string, keyId: string) {
  return db
    .selectFrom('vendor_api_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', keyId)
    .executeTakeFirst();
}

export async function listKeys(db: Db, tenantId: string, vendorId?: string) {
  let q = db.selectFrom('vendor_api_keys').selectAll().where('tenant_id', '=', tenantId);
  if (vendorId) q = q.where('vendor_id', '=', vendorId);
  return q.orderBy('created_at', 'desc').execute();
}

export async function revokeKey(db: Db, tenantId: string, keyId: string, by: string, at: string) {
  const r = await db
    .updateTable('vendor_api_keys')
    .set({ revoked_at: at, revoked_by: by })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function touchKey(db: Db, keyId: string, at: string, ip: string): Promise<void> {
  await db
    .updateTable('vendor_api_keys')
    .set({ last_used_at: at, last_used_ip: ip })
    .where('id', '=', keyId)
    .execute();
}
