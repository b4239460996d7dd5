import type { Db } from '../../db/database.ts';
import type { DetectionTables } from '../detection/detection.table.ts';

export const INCIDENT_STATES = [
  'detected',
  'triaged',
  'contained',
  'eradicated',
  'recovered',
  'closed',
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** One incident (NIST SP 800-61r3 states). `review` is the sealed post-incident review (base64). */
export interface IncidentsTable {
  id: string;
  tenant_id: string;
  title: string;
  severity: string;
  state: IncidentState;
  opened_by: string;
  alert_id: string | null;
  /** The suspected actor (`operator`, `api_key`, `ip`, `session`) and the time range of its activity. */
  suspect_type: string | null;
  suspect_id: string | null;
  window_from: string | null;
  window_to: string | null;
  /** GDPR "awareness": the 72-hour clock starts here. */
  aware_at: string;
  review: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

/** The timeline: every state change, playbook, notice and note (notes sealed under `restricted`). */
export interface IncidentEventsTable {
  id: string;
  tenant_id: string;
  incident_id: string;
  at: string;
  actor: string;
  kind: string;
  /** JSON of ids, counts and outcomes only. */
  detail: string;
  note_ct: Buffer | null;
}

/** One customer notice per affected customer: channel `whatsapp` (with the message id) or `other_channel`. */
export interface IncidentNoticesTable {
  id: string;
  tenant_id: string;
  incident_id: string;
  contact_id: string;
  language: string;
  channel: 'whatsapp' | 'other_channel';
  message_id: string | null;
  created_at: string;
}

/** Containment: exports and campaigns frozen for the whole tenant while set. */
export interface TenantFreezesTable {
  tenant_id: string;
  exports: number;
  campaigns: number;
  incident_id: string | null;
  changed_by: string;
  changed_at: string;
}

export type IncidentTables = DetectionTables & {
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  incident_notices: IncidentNoticesTable;
  tenant_freezes: TenantFreezesTable;
};

export const incidentDb = (db: Db) => db.withTables<IncidentTables>();
