import type { Db } from '../../db/database.ts';
import type { CollectLinksTable } from './collect.table.ts';

export async function insertLink(db: Db, row: CollectLinksTable): Promise<void> {
  await db.insertInto('collect_links').values(row).execute();
}

/** A pending, unexpired link by token hash (the only way the public page finds a link). */
export async function findUsableLink(db: Db, tokenHash: Buffer, now: string) {
  return db
    .selectFrom('collect_links')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Marks a link used exactly once: false when it was used, expired or unknown meanwhile. */
export async function consumeLink(db: Db, id: string, now: string, messageId: string): Promise<boolean> {
  const result = await db
    .updateTable('collect_links')
    .set({ status: 'used', used_at: now, message_id: messageId })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Deletes up to `limit` links that can no longer be used (used, marked expired, or past their expiry);
 * the number deleted. A used link's submission lives on as its message; the link row is bookkeeping.
 */
export async function deleteSpentLinks(db: Db, now: string, limit: number): Promise<number> {
  const spent = db
    .selectFrom('collect_links')
    .select('id')
    .where((eb) => eb.or([eb('status', '!=', 'pending'), eb('expires_at', '<=', now)]))
    .limit(limit);
  const result = await db.deleteFrom('collect_links').where('id', 'in', spent).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function findNotice(db: Db, tenantId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('collect_settings')
    .select('notice')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row?.notice;
}

export async function upsertNotice(db: Db, tenantId: string, notice: string, at: string): Promise<void> {
  await db
    .insertInto('collect_settings')
    .values({ tenant_id: tenantId, notice, updated_at: at })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ notice, updated_at: at }))
    .execute();
}
