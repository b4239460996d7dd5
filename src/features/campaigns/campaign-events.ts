import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../db/database.ts';
import type { ConsentLedger } from '../consent/consent.service.ts';
import {
  DELIVERY_RANK,
  insertAlert,
  maybeStopForQuality,
  QUALITY_CODES,
  stopCampaigns,
} from './campaigns.repository.ts';
import { campaignDb } from './campaigns.table.ts';
import type { CampaignTemplates } from './templates.service.ts';

type Json = Record<string, unknown>;
interface Status {
  readonly status: string;
  readonly timestamp?: string;
  readonly biz_opaque_callback_data?: string;
  readonly errors?: ReadonlyArray<{ readonly code: number }>;
}
export const CAMPAIGN_FIELDS = new Set([
  'message_template_status_update',
  'template_category_update',
  'phone_number_quality_update',
]);

/**
 * What webhooks tell campaigns, inside ingest's transaction: statuses of campaign messages (matched by
 * the recipient id passed to Meta as `biz_opaque_callback_data`), template status and category updates,
 * and quality downgrades, which stop the channel's campaigns with an alert. A no-op for anything else.
 */
export function createCampaignEvents(deps: {
  templates: Pick<CampaignTemplates, 'onWebhook'>;
  clock: Clock;
  /** A 131050 in a failed status is the customer's opt-out: recorded like the send answer's. */
  consent?: Pick<ConsentLedger, 'record'>;
}) {
  return {
    async status(trx: Db, tenantId: string, s: Status): Promise<void> {
      const id = s.biz_opaque_callback_data;
      if (!id?.startsWith('cp_')) return;
      const db = campaignDb(trx);
      const now = deps.clock.now().toISOString();
      const rank = DELIVERY_RANK.indexOf(s.status);
      if (s.status === 'failed') {
        const code = s.errors?.[0]?.code ?? null;
        const row = await db
          .updateTable('campaign_recipients')
          .set({ status: code === 131050 ? 'opted_out' : 'failed', error_code: code, updated_at: now })
          .where('id', '=', id)
          .where('tenant_id', '=', tenantId)
          .where('status', 'in', DELIVERY_RANK)
          .returning(['campaign_id', 'contact_id'])
          .executeTakeFirst();
        if (row && code === 131050)
          await deps.consent?.record(trx, {
            tenantId,
            contactId: row.contact_id,
            purpose: 'marketing',
            event: 'opt_out',
            source: 'send_error_131050',
            at: s.timestamp ? new Date(Number(s.timestamp) * 1000) : deps.clock.now(),
          });
        if (row && code !== null && QUALITY_CODES.includes(code))
          await maybeStopForQuality(trx, row.campaign_id, code, now);
      } else if (rank > 0) {
        await db
          .updateTable('campaign_recipients')
          .set((eb) => ({
            status: s.status,
            sent_at: eb.fn.coalesce('sent_at', eb.val(now)),
            updated_at: now,
          }))
          .where('id', '=', id)
          .where('tenant_id', '=', tenantId)
          .where('status', 'in', DELIVERY_RANK.slice(0, rank))
          .execute();
      }
    },

    async field(trx: Db, tenantId: string, channelId: string, field: string, value: unknown): Promise<void> {
      if (!CAMPAIGN_FIELDS.has(field) || typeof value !== 'object' || value === null) return;
      const v = value as Json;
      if (field !== 'phone_number_quality_update') return deps.templates.onWebhook(trx, channelId, field, v);
      const event = typeof v.event === 'string' ? v.event.toUpperCase() : '';
      if (event !== 'DOWNGRADE' && event !== 'FLAGGED') return;
      const now = deps.clock.now().toISOString();
      const reason = `quality:${event.toLowerCase()}`;
      if (!(await stopCampaigns(trx, { channelId }, reason, null, now)))
        await insertAlert(trx, { tenantId, channelId, campaignId: null, kind: reason, code: null, at: now });
    },
  };
}

export type CampaignEvents = ReturnType<typeof createCampaignEvents>;
