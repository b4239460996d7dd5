import type { Db } from '../../db/database.ts';
import type { TenantsTable } from './tenants.table.ts';

export async function insertTenant(db: Db, row: TenantsTable): Promise<void> {
  await db.insertInto('tenants').values(row).execute();
}

export async function findTenantBySlug(db: Db, slug: string) {
  return db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function findTenantById(db: Db, id: string) {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTenants(db: Db) {
  return db.selectFrom('tenants').selectAll().orderBy('created_at').execute();
}
