import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db, Dialect } from '../../db/database.ts';
import { createGroupCommitter } from '../../db/group-commit.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ContactCodec } from '../contacts/contact-codec.ts';
import * as contactsRepo from '../contacts/contacts.repository.ts';
import type { ConsentLedger } from '../consent/consent.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import { GraphApiError, pairRateBackoffSeconds } from '../whatsapp/graph/graph-errors.ts';
import { bump, maybeStopForQuality, QUALITY_CODES } from './campaigns.repository.ts';
import { campaignDb, type CampaignsTable } from './campaigns.table.ts';
import type { ParameterValue } from './campaigns.schema.ts';
import { createLocalPacer } from './pacer.ts';
import type { SendLimiter } from '../whatsapp/rate-limits.ts';
import { templateMessage } from './payload.ts';
import type { CampaignTemplate } from './templates.service.ts';

/** A claimed row, with the lease value that is its claim token. */
export interface ClaimedRow {
  readonly id: string;
  readonly contact_id: string;
  readonly attempts: number;
  readonly lease: string;
}

/** A row ready to go: its channel and the filled message (the phone number in memory only). */
export interface Prepared {
  readonly channel: Awaited<ReturnType<ChannelService['get']>>;
  readonly body: Record<string, unknown>;
}

/**
 * Sends one claimed recipient in two steps: `prepare` (consent, the template filled in memory) while
 * the row waits for its slot, then `deliver` at the slot: `claimed` → `sending` committed right before
 * the call (own claim, running campaign, still opted in), then the outcome by Meta's code.
 * Row updates go through a group committer: one commit (one fsync on SQLite) serves many sends.
 */
export function createSendOne(deps: {
  db: Db;
  dialect: Dialect;
  channels: Pick<ChannelService, 'get'>;
  tenants: Pick<TenantService, 'getById'>;
  keyring: Pick<Keyring, 'openContactKey'>;
  codec: Pick<ContactCodec, 'decryptPhone' | 'decryptName'>;
  graph: Pick<GraphClient, 'sendMessage'>;
  consent: Pick<ConsentLedger, 'isAllowed' | 'record'>;
  /** The process's per-number window and pair limit, shared with replies (whatsapp/rate-limits.ts). */
  limiter: Pick<SendLimiter, 'acquire' | 'takePair'>;
  clock: Clock;
  logger: Logger;
  realNow: () => number;
}) {
  const db = campaignDb(deps.db);
  const realNow = deps.realNow;
  const sendingLeaseMs = 60_000;
  /** Per number: how much slower than configured this process sends after 130429s (1 = not). */
  const slowdown = new Map<string, number>();
  // Row updates of many sends share one commit (one fsync on SQLite) instead of one each.
  const committer = createGroupCommitter(deps.db, { parallel: deps.dialect === 'postgres' ? 4 : 1 });
  // The last guard before the call: per number, at most `rate` calls in any second as Meta sees them,
  // so a process that fell behind its booked slots (a pause, a slow disk) never catches up in a burst.
  const localPacer = createLocalPacer(realNow);
  const commitTimes = recentMax(32);
  const setRow = async (id: string, set: Record<string, unknown>, from = ['claimed', 'sending']) =>
    Number(
      (
        await committer.submit((trx) =>
          campaignDb(trx)
            .updateTable('campaign_recipients')
            .set({ ...set, updated_at: deps.clock.now().toISOString() })
            .where('id', '=', id)
            .where('status', 'in', from)
            .executeTakeFirst(),
        )
      ).numUpdatedRows,
    );

  /**
   * `claimed` → `sending`, committed right before the call, only while the campaign still runs. A row
   * of a paused, cancelled or stopped campaign goes back to the queue (or is cancelled) instead.
   */
  async function markSending(c: CampaignsTable, row: ClaimedRow): Promise<boolean> {
    const { id, lease } = row;
    const now = deps.clock.now();
    const moved = await committer.submit((trx) =>
      campaignDb(trx)
        .updateTable('campaign_recipients')
        .set({
          status: 'sending',
          next_at: new Date(now.getTime() + sendingLeaseMs).toISOString(),
          updated_at: now.toISOString(),
        })
        .where('id', '=', id)
        .where('status', '=', 'claimed')
        // Our own claim only: a row whose lease ran out may have been claimed again by another process.
        .where('next_at', '=', lease)
        .where((eb) =>
          eb.and([
            eb.exists(
              eb.selectFrom('campaigns').select('id').where('id', '=', c.id).where('status', '=', 'running'),
            ),
            // Consent once more, in the same statement: an opt-out since the claim wins.
            eb.exists(
              eb
                .selectFrom('consent_state')
                .select('contact_id')
                .where('tenant_id', '=', c.tenant_id)
                .where('contact_id', '=', row.contact_id)
                .where('purpose', '=', 'marketing')
                .where('state', '=', 'opted_in'),
            ),
          ]),
        )
        .executeTakeFirst(),
    );
    if (Number(moved.numUpdatedRows) === 1) return true;
    if (!(await deps.consent.isAllowed(c.tenant_id, row.contact_id, 'marketing'))) {
      await setRow(id, { status: 'opted_out', sent_at: null }, ['claimed']);
      return false;
    }
    const campaign = await db
      .selectFrom('campaigns')
      .select('status')
      .where('id', '=', c.id)
      .executeTakeFirst();
    await db
      .updateTable('campaign_recipients')
      .set({
        status: campaign?.status === 'cancelled' ? 'cancelled' : 'queued',
        sent_at: null,
        updated_at: now.toISOString(),
      })
      .where('id', '=', id)
      .where('status', '=', 'claimed')
      .where('next_at', '=', lease)
      .execute();
    return false;
  }

  /**
   * Everything before the call, done while the row waits for its slot: consent, the customer's key,
   * the template filled in memory. Undefined when the row was settled here (erased, opted out).
   */
  async function prepare(
    c: CampaignsTable,
    template: CampaignTemplate,
    row: ClaimedRow,
  ): Promise<Prepared | undefined> {
    const values = JSON.parse(c.parameters) as Record<string, ParameterValue>;
    const tenant = await deps.tenants.getById(c.tenant_id);
    const contact = await contactsRepo.findById(deps.db, c.tenant_id, row.contact_id);
    if (!contact?.key_wrapped) return void (await setRow(row.id, { status: 'failed', error_code: -1 }));
    if (!(await deps.consent.isAllowed(c.tenant_id, contact.id, 'marketing')))
      return void (await setRow(row.id, { status: 'opted_out', sent_at: null }));
    const key = await deps.keyring.openContactKey(
      tenant.id,
      contact.id,
      contact.key_version,
      contact.key_wrapped,
    );
    const phone = deps.codec.decryptPhone(tenant, key, contact);
    if (!phone) return void (await setRow(row.id, { status: 'failed', error_code: -1 }));
    const wantsName = Object.values(values).some((v) => 'field' in v);
    const name = wantsName ? deps.codec.decryptName(tenant, key, contact) : null;
    const message = templateMessage(
      { ...template, named: !template.parameters.some((p) => /^\d+$/.test(p)) },
      values,
      name,
    );
    const channel = await deps.channels.get(c.channel_id);
    return {
      channel,
      body: { recipient_type: 'individual', to: phone, biz_opaque_callback_data: row.id, ...message },
    };
  }

  /**
   * The call itself, inside `call` (the in-flight bound): `claimed` → `sending` committed (own claim,
   * running campaign, still opted in) — started {@link markLead} before the row's slot `at`, so the
   * commit's wait does not make the call late —, the slot, this process's window guard, the Graph API
   * call; then the outcome by Meta's code.
   */
  async function deliver(
    c: CampaignsTable,
    row: ClaimedRow,
    prepared: Prepared,
    call: <T>(fn: () => Promise<T>) => Promise<T>,
    at = 0,
  ): Promise<void> {
    // Inside the in-flight bound, so at most that many rows are ever `sending` at once.
    const number = prepared.channel.phoneNumberId;
    const outcome = await call(async () => {
      const began = realNow();
      if (!(await markSending(c, row))) return undefined;
      commitTimes.add(realNow() - began);
      const wait = at - realNow();
      if (wait > 0) await sleep(wait);
      // The campaign's own rate, then the number's window shared with replies (README).
      const answered = await localPacer.acquire(`${c.channel_id}|${c.rate_per_s}`, c.rate_per_s);
      const shared = await deps.limiter.acquire(number);
      // The pair limit shared with replies, right before the call: a customer who just got a burst of
      // replies waits for a token instead of meeting Meta's 131056. Nothing was sent: back to the queue.
      const pairWait = deps.limiter.takePair(number, row.contact_id);
      if (pairWait > 0) {
        shared(false);
        answered(false);
        await setRow(row.id, later(pairWait), ['sending']);
        return undefined;
      }
      try {
        await deps.graph.sendMessage(prepared.channel, prepared.body);
        return { error: undefined };
      } catch (error) {
        return { error: error ?? new Error('send failed') };
      } finally {
        shared();
        answered();
      }
    });
    if (!outcome) return;
    if (outcome.error !== undefined) return onError(c, row, outcome.error);
    await setRow(row.id, { status: 'accepted' }, ['sending']);
    const f = slowdown.get(c.channel_id);
    if (f !== undefined && f <= 1.01) slowdown.delete(c.channel_id);
    else if (f !== undefined) slowdown.set(c.channel_id, f * 0.98);
  }

  /**
   * How long before its slot a row's `sending` commit starts (ms): a little more than the slowest of
   * the recent commits, so the call leaves on time; at most 32 slots' worth (those rows wait inside
   * the in-flight bound) and 250 ms (a crash leaves those in doubt).
   */
  function markLead(ratePerS: number): number {
    return Math.min(250, 32_000 / ratePerS, Math.max(5, commitTimes.max() * 1.25));
  }

  /** Both steps at once (tests, one-off sends). */
  async function sendOne(c: CampaignsTable, template: CampaignTemplate, row: ClaimedRow): Promise<void> {
    const prepared = await prepare(c, template, row);
    if (prepared) await deliver(c, row, prepared, (fn) => fn());
  }

  /** A row's change back to the queue, to be tried again in `ms` (this counts as an attempt). */
  const later = (ms: number) => ({
    status: 'queued',
    attempts: bump,
    sent_at: null,
    next_at: new Date(deps.clock.now().getTime() + ms).toISOString(),
  });

  async function onError(
    c: CampaignsTable,
    row: { id: string; attempts: number },
    error: unknown,
  ): Promise<void> {
    const now = deps.clock.now();
    if (!(error instanceof GraphApiError)) {
      // The request may have reached Meta: never risk a second copy.
      await setRow(row.id, { status: 'unknown' });
      const kind =
        error instanceof Error
          ? `${error.name}${'code' in error ? ` ${String(error.code)}` : ''}`
          : 'unknown';
      deps.logger.warn(
        { campaign: c.id, error: kind.slice(0, 80) },
        'campaigns: send outcome unknown; not retried',
      );
      return;
    }
    const code = error.metaCode;
    switch (error.handling) {
      case 'throughput':
        slowdown.set(c.channel_id, Math.min(32, (slowdown.get(c.channel_id) ?? 1) * 2));
        await setRow(row.id, later(Math.min(60_000, 500 * 2 ** row.attempts)));
        return;
      case 'pair_rate':
        await setRow(row.id, later(pairRateBackoffSeconds(row.attempts + 1) * 1000));
        return;
      case 'retry':
      case 'token_problem':
        await setRow(row.id, later(Math.min(15 * 60_000, 1000 * 2 ** row.attempts)));
        return;
      case 'opted_out':
        await setRow(row.id, { status: 'opted_out', error_code: code });
        await deps.db.transaction().execute(async (trx) => {
          const r = await campaignDb(trx)
            .selectFrom('campaign_recipients')
            .select('contact_id')
            .where('id', '=', row.id)
            .executeTakeFirst();
          if (r)
            await deps.consent.record(trx, {
              tenantId: c.tenant_id,
              contactId: r.contact_id,
              purpose: 'marketing',
              event: 'opt_out',
              source: 'send_error_131050',
              at: now,
            });
        });
        return;
      default:
        await setRow(row.id, { status: 'failed', error_code: code });
        if (QUALITY_CODES.includes(code)) await maybeStopForQuality(deps.db, c.id, code, now.toISOString());
    }
  }

  return { prepare, deliver, markLead, sendOne, slowdown };
}

/** The largest of the last `n` figures added (0 before the first). */
function recentMax(n: number) {
  const ring: number[] = [];
  let next = 0;
  return {
    add(value: number): void {
      ring[next] = value;
      next = (next + 1) % n;
    },
    max: (): number => ring.reduce((a, b) => Math.max(a, b), 0),
  };
}
