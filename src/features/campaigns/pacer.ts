import { sql } from 'kysely';
import type { Dialect } from '../../db/database.ts';
import type { CampaignDb } from './campaigns.table.ts';
import { WindowLane, type Release } from '../whatsapp/rate-limits.ts';

/**
 * The shared pacer of one phone number (GCRA): `next_slot_us` is the next free send slot (kept in
 * microseconds, so fractional intervals add up exactly; times here are in ms). Reserving `n`
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
    .values({ channel_id: channelId, next_slot_us: Math.round(nowMs * 1000) })
    .onConflict((oc) => oc.column('channel_id').doNothing())
    .execute();
  let q = trx.selectFrom('campaign_pacers').select('next_slot_us').where('channel_id', '=', channelId);
  if (dialect === 'postgres') q = q.forUpdate();
  const row = await q.executeTakeFirstOrThrow();
  const first = Math.max(Number(row.next_slot_us) / 1000, nowMs);
  // Slots first, first + interval, … up to now + horizon: one more than the whole intervals that fit
  // (counting only those booked nothing at all once the interval outgrew the horizon, i.e. under 2/s).
  const fits = first <= nowMs + horizonMs ? Math.floor((nowMs + horizonMs - first) / intervalMs) + 1 : 0;
  return { first, fits };
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
      .set({ next_slot_us: sql`${Math.round((first + n * intervalMs) * 1000)}` })
      .where('channel_id', '=', channelId)
      .execute();
  return slots;
}

/**
 * This process's last guard before a campaign's Graph API call, per key (number × rate): a
 * {@link WindowLane} of `rate` places. A call holds its place from its start until one second after
 * its answer, so no second Meta sees holds more than `rate` of the campaign's calls from this process,
 * however the network or the event loop spaced them, and a process that fell behind never catches up
 * in a burst. The price is the answer time per second (about 1 % at 10 ms answers). The number's own
 * window (replies and campaigns together) is the shared send limiter's, taken after this one.
 */
export function createLocalPacer(now: () => number) {
  const lanes = new Map<string, WindowLane>();
  return {
    /**
     * Resolves when this process may start one call on `key` at `rate` (a whole number) per second,
     * with the function to call once the call was answered (or failed).
     */
    acquire(key: string, rate: number): Promise<Release> {
      let lane = lanes.get(key);
      if (!lane) {
        if (lanes.size > 1000) for (const [k, l] of lanes) if (l.idle()) lanes.delete(k);
        lane = new WindowLane(Math.max(1, Math.floor(rate)), now);
        lanes.set(key, lane);
      }
      return lane.acquire();
    },
  };
}
