import type { Db } from '../../db/database.ts';

/** A message template as Meta lists it; names, categories and parameter names are not personal data. */
export interface CampaignTemplatesTable {
  tenant_id: string;
  channel_id: string;
  name: string;
  language: string;
  meta_id: string;
  category: string;
  status: string;
  /** JSON array of parameter names (`first_name`, or `1`, `2` for positional templates). */
  parameters: string;
  /** The template's body text with its `{{placeholders}}`, for the preview. */
  body: string;
  synced_at: string;
}

export interface SegmentsTable {
  id: string;
  tenant_id: string;
  name: string;
  /** JSON {@link SegmentDefinition}. */
  definition: string;
  created_by: string;
  created_at: string;
}

export interface CampaignsTable {
  id: string;
  tenant_id: string;
  channel_id: string;
  name: string;
  template_name: string;
  template_language: string;
  /** JSON: parameter name → `{ text }` or `{ field: 'first_name' | 'name' }` (filled at send time). */
  parameters: string;
  segment: string;
  status: string;
  scheduled_at: string | null;
  quiet_start: number | null;
  quiet_end: number | null;
  daily_cap: number | null;
  rate_per_s: number;
  quality_stop_after: number;
  stop_reason: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface CampaignRecipientsTable {
  id: string;
  campaign_id: string;
  contact_id: string;
  tenant_id: string;
  country: string | null;
  /** queued → sending → sent → delivered → read; or failed, opted_out, unknown (after a crash). */
  status: string;
  next_at: string;
  attempts: number;
  error_code: number | null;
  sent_at: string | null;
  updated_at: string;
}

/** The shared pacer of one phone number: the next free send slot (µs since epoch), GCRA-style. */
export interface CampaignPacersTable {
  channel_id: string;
  next_slot_us: number | string;
}

export interface CampaignAlertsTable {
  id: string;
  tenant_id: string;
  channel_id: string;
  campaign_id: string | null;
  kind: string;
  code: number | null;
  created_at: string;
}

export type CampaignTables = {
  campaign_templates: CampaignTemplatesTable;
  segments: SegmentsTable;
  campaigns: CampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  campaign_pacers: CampaignPacersTable;
  campaign_alerts: CampaignAlertsTable;
};

export const campaignDb = (db: Db) => db.withTables<CampaignTables>();
export type CampaignDb = ReturnType<typeof campaignDb>;
