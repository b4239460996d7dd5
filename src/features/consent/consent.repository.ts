import type { Db } from '../../db/database.ts';
import type { ConsentEventsTable } from '../messages/messages.table.ts';
import type { ConsentStateTable } from './consent.table.ts';

export type ConsentPurpose = ConsentStateTable['purpose'];

export async function insertEvent(db: Db, row: ConsentEventsTable): Promise<void> {
  await db.insertInto('consent_events').values(row).execute();
}

/** The derived state row; one primary-key read. */
export async function findState(db: Db, tenantId: string, contactId: string, purpose: ConsentPurpose) {
  return db
    .selectFrom('consent_state')
    .select(['state', 'at'])
    .where('contact_id', '=', contactId)
    .where('purpose', '=', purpose)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
}

/**
 * Moves the state to `row` unless a later event already decided it (webhooks arrive out of order;
 * on a tie the event recorded last wins). Returns whether the state changed.
 */
export async function applyState(db: Db, row: ConsentStateTable): Promise<boolean> {
  const current = await db
    .selectFrom('consent_state')
    .select(['state', 'at'])
    .where('contact_id', '=', row.contact_id)
    .where('purpose', '=', row.purpose)
    .executeTakeFirst();
  if (current === undefined) {
    await db.insertInto('consent_state').values(row).execute();
    return true;
  }
  if (current.at > row.at) return false;
  await db
    .updateTable('consent_state')
    .set({
      state: row.state,
      source: row.source,
      event_id: row.event_id,
      at: row.at,
      updated_at: row.updated_at,
    })
    .where('contact_id', '=', row.contact_id)
    .where('purpose', '=', row.purpose)
    .execute();
  return current.state !== row.state;
}

/** Every event of one customer, oldest first. */
export async function listEvents(db: Db, tenantId: string, contactId: string) {
  return db
    .selectFrom('consent_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('contact_id', '=', contactId)
    .orderBy('at')
    .orderBy('created_at')
    .execute();
}

export async function findSettings(db: Db, tenantId: string, area: string): Promise<unknown> {
  const row = await db
    .selectFrom('privacy_settings')
    .select('settings')
    .where('tenant_id', '=', tenantId)
    .where('area', '=', area)
    .executeTakeFirst();
  return row === undefined ? undefined : (JSON.parse(row.settings) as unknown);
}

export async function saveSettings(db: Db, tenantId: string, area: string, settings: unknown, at: string) {
  const json = JSON.stringify(settings);
  await db
    .insertInto('privacy_settings')
    .values({ tenant_id: tenantId, area, settings: json, updated_at: at })
    .onConflict((oc) => oc.columns(['tenant_id', 'area']).doUpdateSet({ settings: json, updated_at: at }))
    .execute();
}
