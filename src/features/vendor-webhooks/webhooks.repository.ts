import type { Db } from '../../db/database.ts';
import type { VendorWebhookDeliveriesTable, VendorWebhooksTable } from './webhooks.table.ts';

export async function insertWebhook(db: Db, row: VendorWebhooksTable): Promise<void> {
  await db.insertInto('vendor_webhooks').values(row).execute();
}

export async function findWebhook(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('vendor_webhooks')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listWebhooks(db: Db, tenantId: string, vendorId?: string) {
  let q = db.selectFrom('vendor_webhooks').selectAll().where('tenant_id', '=', tenantId);
  if (vendorId) q = q.where('vendor_id', '=', vendorId);
  return q.orderBy('created_at').execute();
}

/** Enabled subscriptions of one tenant (ids and events only): what ingest fans out to. */
export async function activeSubscriptions(db: Db, tenantId: string) {
  return db
    .selectFrom('vendor_webhooks')
    .select(['id', 'events'])
    .where('tenant_id', '=', tenantId)
    .where('disabled_at', 'is', null)
    .execute();
}

export async function disableWebhook(db: Db, tenantId: string, id: string, at: string) {
  await db
    .updateTable('vendor_webhooks')
    .set({ disabled_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function insertDelivery(db: Db, row: VendorWebhookDeliveriesTable): Promise<void> {
  await db.insertInto('vendor_webhook_deliveries').values(row).execute();
}

export async function listDeliveries(db: Db, tenantId: string, webhookId: string, limit: number) {
  return db
    .selectFrom('vendor_webhook_deliveries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('webhook_id', '=', webhookId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
