/** The current consent of one customer for one purpose, derived from `consent_events` (latest `at`). */
export interface ConsentStateTable {
  contact_id: string;
  purpose: 'marketing' | 'utility';
  tenant_id: string;
  state: 'opted_in' | 'opted_out';
  source: string;
  event_id: string;
  at: string;
  updated_at: string;
}

/** Per-tenant settings of one privacy area (`consent`, `retention`, `dsr`) as JSON; never personal data. */
export interface PrivacySettingsTable {
  tenant_id: string;
  area: string;
  settings: string;
  updated_at: string;
}
