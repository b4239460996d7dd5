import { sql } from 'kysely';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import { campaignDb, type CampaignDb } from './campaigns.table.ts';

/** Error codes that mean Meta is unhappy with the number's marketing quality: campaigns stop. */
export const QUALITY_CODES = [131048, 131049];

/** Rank of a recipient status: a status webhook only ever moves a row forward. */
export const DELIVERY_RANK = ['sending', 'unknown', 'accepted', 'sent', 'delivered', 'read'];

/** Records an alert (never personal data: ids, a kind, a Meta code). */
export async function insertAlert(
  db: Db,
  a: {
    tenantId: string;
    channelId: string;
    campaignId: string | null;
    kind: string;
    code: number | null;
    at: string;
  },
): Promise<void> {
  await campaignDb(db)
    .insertInto('campaign_alerts')
    .values({
      id: newId('ca'),
      tenant_id: a.tenantId,
      channel_id: a.channelId,
      campaign_id: a.campaignId,
      kind: a.kind,
      code: a.code,
      created_at: a.at,
    })
    .execute();
}

/**
 * After a quality error on one of its messages: stops the campaign (with an alert) once it has seen
 * `quality_stop_after` of them. Returns true when it stopped it now.
 */
export async function maybeStopForQuality(
  db: Db,
  campaignId: string,
  code: number,
  at: string,
): Promise<boolean> {
  const cdb = campaignDb(db);
  const campaign = await cdb
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', campaignId)
    .executeTakeFirst();
  if (!campaign || campaign.status !== 'running') return false;
  const row = await cdb
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('error_code', 'in', QUALITY_CODES)
    .executeTakeFirstOrThrow();
  if (Number(row.n) < campaign.quality_stop_after) return false;
  return stopCampaigns(db, { campaignId }, `quality:${code}`, code, at);
}

/** Stops running campaigns (one, or every one on a channel) for a quality reason, with one alert each. */
export async function stopCampaigns(
  db: Db,
  which: { campaignId?: string; channelId?: string },
  reason: string,
  code: number | null,
  at: string,
): Promise<boolean> {
  const cdb = campaignDb(db);
  let q = cdb
    .updateTable('campaigns')
    .set({ status: 'stopped', stop_reason: reason, updated_at: at })
    .where('status', 'in', ['running', 'paused']);
  if (which.campaignId) q = q.where('id', '=', which.campaignId);
  if (which.channelId) q = q.where('channel_id', '=', which.channelId);
  const stopped = await q.returning(['id', 'tenant_id', 'channel_id']).execute();
  for (const c of stopped)
    await insertAlert(db, {
      tenantId: c.tenant_id,
      channelId: c.channel_id,
      campaignId: c.id,
      kind: reason,
      code,
      at,
    });
  return stopped.length > 0;
}

/** Recipient counts per status of one campaign. */
export async function statusCounts(db: Db, campaignId: string): Promise<Record<string, number>> {
  const rows = await campaignDb(db)
    .selectFrom('campaign_recipients')
    .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Failed recipients grouped by Meta error code. */
export async function failureCounts(db: Db, campaignId: string) {
  const rows = await campaignDb(db)
    .selectFrom('campaign_recipients')
    .select(['error_code', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('campaign_id', '=', campaignId)
    .where('error_code', 'is not', null)
    .groupBy('error_code')
    .execute();
  return rows.map((r) => ({ code: Number(r.error_code), count: Number(r.n) }));
}

/** Messages the channel's campaigns handed to Meta since `since` (for the daily cap and the tier). */
/** Sends claimed since `since` (ISO) on a channel or by a campaign (exported for the plan test). */
export function sentSinceQuery(
  db: Db,
  tenantId: string,
  since: string,
  by: { channelId?: string; campaignId?: string },
) {
  // tenant_id first: the (tenant_id, sent_at) index reads only the last day's sends, not the table.
  let q = campaignDb(db)
    .selectFrom('campaign_recipients as r')
    .innerJoin('campaigns as k', 'k.id', 'r.campaign_id')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('r.tenant_id', '=', tenantId)
    .where('r.sent_at', '>=', since);
  if (by.channelId) q = q.where('k.channel_id', '=', by.channelId);
  if (by.campaignId) q = q.where('r.campaign_id', '=', by.campaignId);
  return q;
}

export async function sentSince(
  db: Db,
  tenantId: string,
  since: string,
  by: { channelId?: string; campaignId?: string },
): Promise<number> {
  return Number((await sentSinceQuery(db, tenantId, since, by).executeTakeFirstOrThrow()).n);
}

/**
 * Marketing consent rows of these customers, by primary key (contact, purpose); the caller checks
 * tenant and state. With those in the query, SQLite read the (tenant, purpose, state) index instead:
 * every opted-in customer of the tenant, for each claim.
 */
export function marketingConsentOf(db: CampaignDb, contactIds: readonly string[]) {
  return db
    .selectFrom('consent_state')
    .select(['contact_id', 'tenant_id', 'state'])
    .where('purpose', '=', 'marketing')
    .where('contact_id', 'in', contactIds);
}

/** Recipient rows in `status` whose lease ran out, through the (status, next_at) index (0023). */
export function expiredLeases(db: Db, status: 'claimed' | 'sending', nowIso: string) {
  return campaignDb(db)
    .updateTable('campaign_recipients')
    .where('status', '=', status)
    .where('next_at', '<', nowIso);
}

export const bump = sql<number>`attempts + 1`;
