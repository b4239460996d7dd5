import { sql } from 'kysely';
import type { Dialect } from '../../db/database.ts';
import type { CampaignDb } from './campaigns.table.ts';

/**
 * The shared pacer of one phone number (GCRA): `next_slot_ms` is the next free send slot. Reserving `n`
 * slots moves it on by `n × interval`, inside the claim's transaction (row-locked on PostgreSQL, the
 * single writer on SQLite), so several processes together never exceed the rate. Slots only reach
 * `horizonMs` ahead: a process books at most that much sending in advance.
 */
export async function availableSlots(
  trx: CampaignDb,
  dialect: Dialect,
  channelId: string,
  nowMs: number,
  intervalMs: number,
  horizonMs: number,
): Promise<{ first: number; fits: number }> {
  await trx
    .insertInto('campaign_pacers')
    .values({ channel_id: channelId, next_slot_ms: nowMs })
    .onConflict((oc) => oc.column('channel_id').doNothing())
    .execute();
  let q = trx.selectFrom('campaign_pacers').select('next_slot_ms').where('channel_id', '=', channelId);
  if (dialect === 'postgres') q = q.forUpdate();
  const row = await q.executeTakeFirstOrThrow();
  const first = Math.max(Number(row.next_slot_ms), nowMs);
  return { first, fits: Math.max(0, Math.floor((nowMs + horizonMs - first) / intervalMs)) };
}

/** Books `n` slots from `first`; returns each slot's time. */
export async function bookSlots(
  trx: CampaignDb,
  channelId: string,
  first: number,
  n: number,
  intervalMs: number,
): Promise<number[]> {
  const slots = Array.from({ length: n }, (_, i) => first + i * intervalMs);
  if (n > 0)
    await trx
      .updateTable('campaign_pacers')
      .set({ next_slot_ms: sql`${Math.ceil(first + n * intervalMs)}` })
      .where('channel_id', '=', channelId)
      .execute();
  return slots;
}
