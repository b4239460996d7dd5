import type { Db } from '../../db/database.ts';

/** Where the rule engine stopped in one tenant's chain: the last `seq` whose alerts are committed. */
export interface DetectionCursorsTable {
  tenant_id: string;
  last_seq: number;
  updated_at: string;
}

/** Per-tenant thresholds, business hours and alert routes (JSON); secrets sealed under `restricted`. */
export interface DetectionSettingsTable {
  tenant_id: string;
  settings: string;
  secrets_ct: Buffer | null;
  updated_at: string;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type DeliveryStatus = 'pending' | 'sent' | 'skipped' | 'failed';

/** One alert; `(tenant_id, dedup_key)` is unique, so replaying the stream never doubles one. */
export interface DetectionAlertsTable {
  id: string;
  tenant_id: string;
  dedup_key: string;
  rule: string;
  severity: Severity;
  actor_type: string | null;
  actor_id: string | null;
  /** A sentence made of ids and counts only, never personal data. */
  summary: string;
  /** JSON: ids, counts, windows. */
  detail: string;
  first_seq: number | null;
  last_seq: number | null;
  event_at: string;
  created_at: string;
  status: 'open' | 'acknowledged';
  incident_id: string | null;
  email_status: DeliveryStatus;
  webhook_status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
}

/** Networks (IPv4 /24, IPv6 /48) each operator has signed in from. */
export interface DetectionNetworksTable {
  tenant_id: string;
  operator_id: string;
  network: string;
  first_seen: string;
}

/** Personal-data reads per actor per hour: the actor's own baseline for the bulk rule. */
export interface DetectionActivityTable {
  tenant_id: string;
  actor: string;
  hour: string;
  count: number;
}

// A type alias (not an interface) so it satisfies Kysely's `withTables` constraint.
export type DetectionTables = {
  detection_cursors: DetectionCursorsTable;
  detection_settings: DetectionSettingsTable;
  detection_alerts: DetectionAlertsTable;
  detection_networks: DetectionNetworksTable;
  detection_activity: DetectionActivityTable;
};

/** The database handle with detection's tables (declared here, not in the shared `Database`). */
export const detectionDb = (db: Db) => db.withTables<DetectionTables>();
export type DetectionDb = ReturnType<typeof detectionDb>;
