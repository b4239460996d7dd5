import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db, Dialect } from '../../db/database.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ContactCodec } from '../contacts/contact-codec.ts';
import type { ConsentLedger } from '../consent/consent.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import { expiredLeases, marketingConsentOf, sentSince } from './campaigns.repository.ts';
import { campaignDb, type CampaignsTable } from './campaigns.table.ts';
import { quietCountries } from './countries.ts';
import { createSendOne } from './send-one.ts';
import { createLimiter } from '../../lib/limiter.ts';
import { availableSlots, bookSlots } from './pacer.ts';
import type { CampaignTemplates } from './templates.service.ts';
import type { SendLimiter } from '../whatsapp/rate-limits.ts';

const TIERS: Record<string, number> = {
  TIER_50: 50,
  TIER_250: 250,
  TIER_1K: 1000,
  TIER_2K: 2000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: Number.POSITIVE_INFINITY,
};
const DAY = 86_400_000;

/** Business-initiated conversations a day under Meta's messaging limit tier (250 when unknown). */
export function tierLimit(tier: unknown): number {
  return typeof tier === 'string' ? (TIERS[tier.toUpperCase()] ?? 250) : 250;
}

/**
 * The campaign sender: claims due recipient rows (SKIP LOCKED on PostgreSQL, the single writer on
 * SQLite) in slots booked from the number's shared pacer, re-checks consent, fills the template in
 * memory, and calls the Graph API. At most once: a row is `sending` (committed) before the call, and a
 * `sending` row whose lease ran out becomes `unknown`, never sent again. 130429 requeues the row and
 * slows this process's pace for that number; quality errors stop the campaign with an alert.
 */
export function createCampaignSender(deps: {
  db: Db;
  dialect: Dialect;
  channels: Pick<ChannelService, 'get'>;
  tenants: Pick<TenantService, 'getById'>;
  keyring: Pick<Keyring, 'openContactKey'>;
  codec: Pick<ContactCodec, 'decryptPhone' | 'decryptName'>;
  graph: Pick<GraphClient, 'sendMessage' | 'phoneNumberFields'>;
  consent: Pick<ConsentLedger, 'isAllowed' | 'record'>;
  templates: Pick<CampaignTemplates, 'usable'>;
  /** The process's per-number window and pair limit, shared with replies (whatsapp/rate-limits.ts). */
  limiter: Pick<SendLimiter, 'acquire' | 'takePair' | 'useLevel'>;
  clock: Clock;
  logger: Logger;
  /** How far ahead one claim books sends (ms); also the longest a pause takes to bite. */
  horizonMs?: number;
  /** How long a `claimed` row may wait before another process may take it (a `sending` row: 60 s). */
  leaseMs?: number;
  /** Graph API calls in flight at once in this process (default 64). */
  concurrency?: number;
  /** Real time for pacing (the clock drives schedules, quiet hours and caps). */
  now?: () => number;
}) {
  const db = campaignDb(deps.db);
  const horizonMs = deps.horizonMs ?? 500;
  const leaseMs = deps.leaseMs ?? 15_000;
  const realNow = deps.now ?? Date.now;
  const { prepare, deliver, markLead, slowdown } = createSendOne({ ...deps, realNow });
  const tiers = new Map<string, { limit: number; until: number }>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const inFlight = new Set<Promise<void>>();
  /** Clock time (ms) of the last lease sweep. */
  let lastSweep = Number.NEGATIVE_INFINITY;
  // Bounded Graph API concurrency: rate × latency needs a few dozen; thousands of sockets only
  // produce resets whose outcome is unknown (and such a row is never retried).
  const maxActive = deps.concurrency ?? 64;
  const calls = createLimiter(maxActive);
  // Preparing a row (reads, key unwrap, decryption) runs ahead of its slot, a few at a time.
  const preps = createLimiter(32);

  async function limitOf(channelId: string): Promise<number> {
    const hit = tiers.get(channelId);
    if (hit && hit.until > realNow()) return hit.limit;
    const channel = await deps.channels.get(channelId);
    let limit = 250;
    try {
      const fields = await deps.graph.phoneNumberFields(channel, [
        'whatsapp_business_manager_messaging_limit',
        'throughput',
      ]);
      limit = tierLimit(fields.whatsapp_business_manager_messaging_limit);
      // The number's window shared with replies: 1,000/s once Meta upgraded it, else the configured rate.
      const throughput = fields.throughput as { level?: unknown } | undefined;
      deps.limiter.useLevel(channel.phoneNumberId, throughput?.level);
    } catch (error) {
      deps.logger.warn(
        { channel: channelId, err: error },
        'campaigns: messaging limit unreadable; using TIER_250',
      );
    }
    tiers.set(channelId, { limit, until: realNow() + 5 * 60_000 });
    return limit;
  }

  /** How many more may go today under the tier and the campaign's own cap. */
  async function allowance(c: CampaignsTable, nowIso: string, since: string): Promise<number> {
    const tier = await limitOf(c.channel_id);
    let left = Number.POSITIVE_INFINITY;
    if (Number.isFinite(tier))
      left = tier - (await sentSince(deps.db, c.tenant_id, since, { channelId: c.channel_id }));
    if (c.daily_cap !== null)
      left = Math.min(
        left,
        c.daily_cap - (await sentSince(deps.db, c.tenant_id, since, { campaignId: c.id })),
      );
    void nowIso;
    return Math.max(0, left);
  }

  /** Claims and books up to the pacer's free slots; returns the rows with their send times. */
  async function claim(c: CampaignsTable, limit: number) {
    const now = deps.clock.now();
    const nowIso = now.toISOString();
    const quiet =
      c.quiet_start !== null && c.quiet_end !== null ? quietCountries(c.quiet_start, c.quiet_end, now) : [];
    const intervalMs = (1000 * (slowdown.get(c.channel_id) ?? 1)) / c.rate_per_s;
    return db.transaction().execute(async (trx) => {
      const t0 = realNow();
      const { first, fits } = await availableSlots(
        trx,
        deps.dialect,
        c.channel_id,
        t0,
        intervalMs,
        horizonMs,
      );
      // Never hold more claimed rows than this process sends in about one horizon (at least twice its
      // in-flight limit): claims stay short, and other processes find rows to share.
      const held = Math.max(2 * maxActive, Math.ceil((c.rate_per_s * horizonMs) / 1000) + maxActive);
      const n = Math.min(limit, fits, held - inFlight.size);
      // Nothing bookable now: the next slot comes within the horizon when `first - horizon` is reached.
      if (n <= 0) return { rows: [], slots: [], wait: Math.max(1, first - t0 - horizonMs) };
      let q = trx
        .selectFrom('campaign_recipients')
        .select(['id', 'contact_id', 'attempts'])
        .where('campaign_id', '=', c.id)
        .where('status', '=', 'queued')
        .where('next_at', '<=', nowIso);
      if (quiet.length > 0) q = q.where('country', 'not in', quiet);
      q = q.orderBy('next_at').limit(n);
      if (deps.dialect === 'postgres') q = q.forUpdate().skipLocked();
      const picked = await q.execute();
      if (picked.length === 0) return { rows: [], slots: [], wait: 0 };
      const allowed = new Set(
        (
          await marketingConsentOf(
            trx,
            picked.map((p) => p.contact_id),
          ).execute()
        )
          .filter((r) => r.tenant_id === c.tenant_id && r.state === 'opted_in')
          .map((r) => r.contact_id),
      );
      const lease = new Date(now.getTime() + leaseMs).toISOString();
      const rows = picked.filter((p) => allowed.has(p.contact_id)).map((p) => ({ ...p, lease }));
      const refused = picked.filter((p) => !allowed.has(p.contact_id)).map((p) => p.id);
      if (refused.length > 0)
        await trx
          .updateTable('campaign_recipients')
          .set({ status: 'opted_out', updated_at: nowIso })
          .where('id', 'in', refused)
          .execute();
      if (rows.length > 0)
        await trx
          .updateTable('campaign_recipients')
          // sent_at is set at the claim, so the daily cap counts sends still in flight.
          .set({ status: 'claimed', next_at: lease, sent_at: nowIso, updated_at: nowIso })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
      const slots = await bookSlots(trx, c.channel_id, first, rows.length, intervalMs);
      return { rows, slots, wait: 0 };
    });
  }

  /** One round over every running campaign; returns how many rows were claimed. */
  async function tick(): Promise<{ claimed: number; wait: number; paced: boolean }> {
    const now = deps.clock.now();
    const nowIso = now.toISOString();
    const since = new Date(now.getTime() - DAY).toISOString();
    // Leases that ran out: a process died. Claimed rows were never attempted and go back to the queue;
    // a row that was `sending` may have reached Meta and is never sent again. Leases last 15 s and
    // more, so once a second is enough (this scans every campaign's rows).
    if (Math.abs(now.getTime() - lastSweep) >= 1000) await sweepLeases(now);
    const campaigns = await db
      .selectFrom('campaigns')
      .selectAll()
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('scheduled_at', 'is', null), eb('scheduled_at', '<=', nowIso)]))
      .orderBy('created_at')
      .limit(20)
      .execute();
    let claimed = 0;
    let wait = 250;
    // Some campaign has rows waiting only for the pacer (at low rates its wait exceeds the idle 250 ms).
    let paced = false;
    for (const c of campaigns) {
      // Only a template that is missing or no longer APPROVED pauses the campaign; other errors propagate.
      const template = await deps.templates
        .usable(c.tenant_id, c.channel_id, c.template_name, c.template_language)
        .catch((error: unknown) => {
          if (error instanceof ValidationError || error instanceof NotFoundError) return undefined;
          throw error;
        });
      if (!template) {
        await db
          .updateTable('campaigns')
          .set({ status: 'paused', stop_reason: 'template_not_approved', updated_at: nowIso })
          .where('id', '=', c.id)
          .execute();
        continue;
      }
      const left = await allowance(c, nowIso, since);
      const got = left > 0 ? await claim(c, Math.min(left, 500)) : { rows: [], slots: [], wait: 0 };
      if (got.wait > 0) {
        wait = Math.min(wait, got.wait);
        paced = true;
      }
      claimed += got.rows.length;
      got.rows.forEach((row, i) => {
        const p = (async () => {
          const prepared = await preps.run(() => prepare(c, template, row));
          if (!prepared) return;
          // The slot is an absolute deadline: a late timer delays this call, not the ones after it.
          const at = got.slots[i]!;
          const delay = at - markLead(c.rate_per_s) - realNow();
          if (delay > 0) await sleep(delay);
          await deliver(c, row, prepared, (fn) => calls.run(fn), at);
        })()
          .catch((error: unknown) =>
            deps.logger.error({ err: error, campaign: c.id }, 'campaigns: send failed'),
          )
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      });
      if (got.rows.length === 0 && got.wait === 0) await finishIfDone(c.id, nowIso);
      else if (got.rows.length > 0) wait = 0;
    }
    return { claimed, wait, paced };
  }

  async function sweepLeases(now: Date): Promise<void> {
    lastSweep = now.getTime();
    const nowIso = now.toISOString();
    // A claimed row was never attempted: back to the queue. A sending row may have reached Meta: unknown.
    await expiredLeases(deps.db, 'claimed', nowIso)
      .set({ status: 'queued', sent_at: null, updated_at: nowIso })
      .execute();
    await expiredLeases(deps.db, 'sending', nowIso).set({ status: 'unknown', updated_at: nowIso }).execute();
  }

  async function finishIfDone(campaignId: string, nowIso: string): Promise<void> {
    const open = await db
      .selectFrom('campaign_recipients')
      .select('id')
      .where('campaign_id', '=', campaignId)
      .where('status', 'in', ['queued', 'claimed', 'sending'])
      .limit(1)
      .executeTakeFirst();
    if (!open)
      await db
        .updateTable('campaigns')
        .set({ status: 'done', updated_at: nowIso })
        .where('id', '=', campaignId)
        .where('status', '=', 'running')
        .execute();
  }

  /** A queued row of a running campaign waits for a backoff (130429, pair rate, retry). */
  async function backingOff(): Promise<boolean> {
    const row = await db
      .selectFrom('campaign_recipients as r')
      .innerJoin('campaigns as k', 'k.id', 'r.campaign_id')
      .select('r.id')
      .where('k.status', '=', 'running')
      .where('r.status', 'in', ['queued', 'claimed', 'sending'])
      .where('r.next_at', '>', deps.clock.now().toISOString())
      .where('r.attempts', '>', 0)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async function settle(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  return {
    tick,
    settle,
    /** Runs rounds until no running campaign has anything due or backing off (tests, drills, the CLI). */
    async drain(maxMs = 60_000): Promise<void> {
      const end = realNow() + maxMs;
      while (realNow() < end) {
        const { claimed, wait, paced } = await tick();
        if (claimed > 0) {
          if (wait > 0) await sleep(wait);
          continue;
        }
        await settle();
        if (wait < 250 || paced) {
          await sleep(Math.max(1, wait));
          continue;
        }
        if (!(await backingOff())) {
          const again = await tick();
          if (again.claimed === 0) return;
        } else await sleep(50);
      }
      await settle();
    },
    start(intervalMs = 50): void {
      const loop = () => {
        running = tick()
          .catch((error: unknown) => {
            deps.logger.error({ err: error }, 'campaigns: tick failed');
            return { claimed: 0, wait: 1000, paced: false };
          })
          .then((r) => {
            if (timer)
              timer = setTimeout(loop, r.claimed > 0 ? 1 : Math.max(intervalMs, Math.min(r.wait, 250)));
          });
      };
      timer = setTimeout(loop, intervalMs);
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      await settle();
    },
  };
}

export type CampaignSender = ReturnType<typeof createCampaignSender>;
