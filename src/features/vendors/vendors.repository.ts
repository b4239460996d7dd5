import type { Db } from '../../db/database.ts';
import type { VendorsTable } from './vendors.table.ts';

export async function insertVendor(db: Db, row: VendorsTable): Promise<void> {
  await db.insertInto('vendors').values(row).execute();
}

export async function findVendor(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('vendors')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listVendors(db: Db, tenantId: string) {
  return db.selectFrom('vendors').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute();
}

export async function updateVendor(db: Db, tenantId: string, id: string, patch: Partial<VendorsTable>) {
  await db.updateTable('vendors').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Active vendors whose review is overdue or whose agreement has expired (every tenant). */
export async function dueForSuspension(db: Db, now: string) {
  return db
    .selectFrom('vendors')
    .selectAll()
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('next_review_at', '<', now), eb('dpa_expires_at', '<', now)]))
    .limit(500)
    .execute();
}
