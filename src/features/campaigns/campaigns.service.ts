import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import { assertNotFrozen } from '../incidents/freeze.ts';
import { failureCounts, statusCounts } from './campaigns.repository.ts';
import {
  campaignInput,
  type CampaignStatus,
  type ParameterValue,
  type SegmentDefinition,
} from './campaigns.schema.ts';
import { campaignDb, type CampaignsTable } from './campaigns.table.ts';
import { previewBody } from './payload.ts';
import type { Segments } from './segments.service.ts';
import type { CampaignTemplates } from './templates.service.ts';

/** What to do about each Meta error code a campaign saw (shown beside the failure counts). */
const HINTS: Record<number, string> = {
  131026: 'Not on WhatsApp or an old app version: remove these numbers from the segment.',
  131047: 'Outside the 24-hour window: only templates can be sent (campaigns already use them).',
  131048: 'Spam rate limit: Meta flagged the number; pause marketing and review the content and audience.',
  131049: "Meta's per-user marketing limit: send fewer marketing messages to the same people.",
  131050: 'The customer stopped marketing messages in WhatsApp: recorded as an opt-out.',
  131053: 'The header media could not be used: upload it again and update the campaign.',
  132000: 'Wrong number of template parameters: check the campaign parameters.',
  132001: 'The template does not exist in that language or is not approved: sync templates.',
  130429: 'Throughput limit: the sender slowed down and retried.',
  131056: 'Too many messages to one customer: retried after the pair backoff.',
  [-1]: 'The customer was erased or has no phone number.',
};

/**
 * What to do about recipients whose outcome is unknown: the process stopped during their Graph API
 * call. Meta offers no idempotency key for sends, so resending could deliver twice; they are never
 * resent (at most once), and a status webhook carrying their id resolves them.
 */
export const UNKNOWN_HINT =
  'Outcome unknown: the sender stopped during the Graph API call, so Meta may or may not have the ' +
  'message. These are never resent automatically (that could send twice). A status webhook from Meta ' +
  'moves each one to sent, delivered, read or failed; any still unknown a day later most likely never ' +
  'reached Meta — include those customers in a later campaign if they should hear about it.';

const TRANSITIONS: Record<string, { from: CampaignStatus[]; to: CampaignStatus }> = {
  start: { from: ['draft'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['draft', 'running', 'paused'], to: 'cancelled' },
};
export type CampaignCommand = keyof typeof TRANSITIONS;

/** A campaign as the API shows it: never a recipient, only counts. */
export function toCampaign(r: CampaignsTable) {
  return {
    id: r.id,
    name: r.name,
    channelId: r.channel_id,
    template: { name: r.template_name, language: r.template_language },
    parameters: JSON.parse(r.parameters) as Record<string, ParameterValue>,
    segment: JSON.parse(r.segment) as SegmentDefinition,
    status: r.status as CampaignStatus,
    scheduledAt: r.scheduled_at,
    quietHours:
      r.quiet_start === null || r.quiet_end === null ? null : { start: r.quiet_start, end: r.quiet_end },
    dailyCap: r.daily_cap,
    ratePerSecond: r.rate_per_s,
    stopReason: r.stop_reason,
    createdAt: r.created_at,
  };
}

/**
 * Campaigns: a template with parameters, a segment, a schedule, quiet hours, a daily cap and a rate;
 * start writes one recipient row per member (ids only), and pause / resume / cancel move the status the
 * sender reads before every claim. Every change is audited.
 */
export function createCampaigns(deps: {
  db: Db;
  channels: Pick<ChannelService, 'getForTenant'>;
  templates: Pick<CampaignTemplates, 'usable'>;
  segments: Pick<Segments, 'enqueue' | 'count' | 'refreshCountries'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const db = campaignDb(deps.db);

  async function load(tenantId: string, id: string): Promise<CampaignsTable> {
    const row = await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.tenant_id !== tenantId) throw new NotFoundError('Campaign');
    return row;
  }

  const audited = (
    trx: Db,
    tenantId: string,
    actor: AuditActor,
    id: string,
    detail: Record<string, unknown>,
  ) =>
    deps.audit.append(trx, {
      tenantId,
      actor,
      action: 'campaign_change',
      target: { type: 'campaign', id },
      outcome: 'success',
      detail,
    });

  return {
    async create(tenantId: string, input: unknown, actor: AuditActor) {
      const p = parseInput(campaignInput, input);
      await deps.channels.getForTenant(tenantId, p.channelId);
      await deps.templates.usable(tenantId, p.channelId, p.template.name, p.template.language);
      const now = deps.clock.now().toISOString();
      const row: CampaignsTable = {
        id: newId('cp'),
        tenant_id: tenantId,
        channel_id: p.channelId,
        name: p.name,
        template_name: p.template.name,
        template_language: p.template.language,
        parameters: JSON.stringify(p.parameters),
        segment: JSON.stringify(p.segment),
        status: 'draft',
        scheduled_at: p.scheduledAt ? new Date(p.scheduledAt).toISOString() : null,
        quiet_start: p.quietHours?.start ?? null,
        quiet_end: p.quietHours?.end ?? null,
        daily_cap: p.dailyCap ?? null,
        rate_per_s: p.ratePerSecond,
        quality_stop_after: p.qualityStopAfter,
        stop_reason: null,
        created_by: actor.id,
        created_at: now,
        updated_at: now,
      };
      await deps.db.transaction().execute(async (trx) => {
        await campaignDb(trx).insertInto('campaigns').values(row).execute();
        await audited(trx, tenantId, actor, row.id, { change: 'create', template: p.template.name });
      });
      return toCampaign(row);
    },

    async list(tenantId: string) {
      const rows = await db
        .selectFrom('campaigns')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at', 'desc')
        .limit(200)
        .execute();
      return rows.map(toCampaign);
    },

    async get(tenantId: string, id: string) {
      return toCampaign(await load(tenantId, id));
    },

    /** Start (queues the segment's members), pause, resume or cancel. */
    async command(tenantId: string, id: string, command: CampaignCommand, actor: AuditActor) {
      const rule = TRANSITIONS[command];
      if (!rule) throw new NotFoundError('Command');
      const c = await load(tenantId, id);
      if (!rule.from.includes(c.status as CampaignStatus))
        throw new ConflictError(`A ${c.status} campaign cannot ${command}`);
      if (command === 'start' || command === 'resume') {
        await assertNotFrozen(deps.db, tenantId, 'campaigns');
        await deps.templates.usable(tenantId, c.channel_id, c.template_name, c.template_language);
      }
      if (command === 'start') await deps.segments.refreshCountries(tenantId);
      const now = deps.clock.now().toISOString();
      await deps.db.transaction().execute(async (trx) => {
        const done = await campaignDb(trx)
          .updateTable('campaigns')
          .set({ status: rule.to, stop_reason: null, updated_at: now })
          .where('id', '=', id)
          .where('status', 'in', rule.from)
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) !== 1)
          throw new ConflictError(`The campaign changed; try ${command} again`);
        if (command === 'start')
          await deps.segments.enqueue(trx, tenantId, id, JSON.parse(c.segment) as SegmentDefinition);
        if (command === 'cancel')
          await campaignDb(trx)
            .updateTable('campaign_recipients')
            .set({ status: 'cancelled', updated_at: now })
            .where('campaign_id', '=', id)
            .where('status', '=', 'queued')
            .execute();
        await audited(trx, tenantId, actor, id, { change: command });
      });
      return toCampaign(await load(tenantId, id));
    },

    /** The builder's preview: the segment's size and the body with fixed texts filled in. */
    async preview(tenantId: string, input: unknown) {
      const p = parseInput(campaignInput, input);
      const template = await deps.templates.usable(
        tenantId,
        p.channelId,
        p.template.name,
        p.template.language,
      );
      return {
        recipients: await deps.segments.count(tenantId, p.segment),
        body: previewBody(template.body, p.parameters),
        parameters: template.parameters,
      };
    },

    /** Sent / delivered / read / failed / opted out, and failures by error code with a hint. */
    async results(tenantId: string, id: string) {
      const c = await load(tenantId, id);
      const s = await statusCounts(deps.db, id);
      const n = (...k: string[]) => k.reduce((a, x) => a + (s[x] ?? 0), 0);
      const alerts = await db
        .selectFrom('campaign_alerts')
        .select(['kind', 'code', 'created_at'])
        .where('campaign_id', '=', id)
        .orderBy('created_at')
        .execute();
      return {
        status: c.status,
        stopReason: c.stop_reason,
        total: Object.values(s).reduce((a, b) => a + b, 0),
        queued: n('queued', 'claimed', 'sending'),
        sent: n('accepted', 'sent', 'delivered', 'read'),
        delivered: n('delivered', 'read'),
        read: n('read'),
        failed: n('failed'),
        optedOut: n('opted_out'),
        unknown: n('unknown'),
        unknownHint: n('unknown') > 0 ? UNKNOWN_HINT : null,
        cancelled: n('cancelled'),
        failures: (await failureCounts(deps.db, id)).map((f) => ({
          ...f,
          hint: HINTS[f.code] ?? 'See Meta error code reference.',
        })),
        alerts: alerts.map((a) => ({ kind: a.kind, code: a.code, at: a.created_at })),
      };
    },

    async alerts(tenantId: string) {
      return db
        .selectFrom('campaign_alerts')
        .select([
          'id',
          'channel_id as channelId',
          'campaign_id as campaignId',
          'kind',
          'code',
          'created_at as at',
        ])
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at', 'desc')
        .limit(100)
        .execute();
    },
  };
}

export type Campaigns = ReturnType<typeof createCampaigns>;
