import { sql } from 'kysely';
import type { Dialect } from '../../db/database.ts';
import type { CampaignDb } from './campaigns.table.ts';

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

interface Lane {
  readonly rate: number;
  /** Calls started and not yet answered. */
  active: number;
  /** When recent calls stopped counting as in transit, sorted (pruned after a second). */
  readonly answered: number[];
  readonly queue: (() => void)[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * This process's last guard before a Graph API call, per key (number × rate). A call holds its place
 * from its start until one second after its answer, and at most `rate` calls hold a place at once.
 * Meta stamps a call between its start and its answer, so take the latest stamp `t` in any window
 * shorter than a second: every call stamped in that window started at or before `t` and was answered
 * at or after its stamp, so it still held its place at `t`. No window Meta sees holds more than
 * `rate` calls from this process, however the network or the event loop spaced them. A late timer
 * loses nothing: the calls it delayed go as soon as the window allows. The price is the answer time
 * per second (about 1 % at 10 ms answers).
 */
export function createLocalPacer(now: () => number) {
  const lanes = new Map<string, Lane>();
  function drain(lane: Lane): void {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    const t = now();
    while (lane.answered.length > 0 && lane.answered[0]! + 1000 <= t) lane.answered.shift();
    while (lane.queue.length > 0 && lane.active + lane.answered.length < lane.rate) {
      lane.active++;
      lane.queue.shift()!();
    }
    // Blocked by answered calls: wake when the oldest leaves the window (an answer also wakes us).
    if (lane.queue.length > 0 && lane.answered.length > 0)
      lane.timer = setTimeout(() => drain(lane), Math.max(1, Math.ceil(lane.answered[0]! + 1000 - t)));
  }
  return {
    /**
     * Resolves when this process may start one call on `key` at `rate` (a whole number) per second,
     * with the function to call once the call was answered (or failed).
     */
    acquire(key: string, rate: number): Promise<() => void> {
      let lane = lanes.get(key);
      if (!lane) {
        if (lanes.size > 1000)
          for (const [k, l] of lanes) if (l.active === 0 && l.queue.length === 0) lanes.delete(k);
        const r = Math.max(1, Math.floor(rate));
        lane = { rate: r, active: 0, answered: [], queue: [], timer: undefined };
        lanes.set(key, lane);
      }
      const l = lane;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        l.active--;
        const at = now();
        let i = l.answered.length;
        while (i > 0 && l.answered[i - 1]! > at) i--;
        l.answered.splice(i, 0, at);
        drain(l);
      };
      return new Promise<() => void>((resolve) => {
        l.queue.push(() => resolve(release));
        drain(l);
      });
    },
  };
}
