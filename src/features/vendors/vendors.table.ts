/**
 * The vendor register. Vendors are companies, not customers: nothing here is personal data.
 * JSON columns hold arrays/records validated by `vendors.schema.ts` on the way in.
 */
export interface VendorsTable {
  id: string;
  tenant_id: string;
  name: string;
  purpose: string;
  /** critical | high | medium | low */
  risk_tier: string;
  /** JSON array of data categories the agreement allows (phone, name, email, attributes, message_content). */
  data_categories: string;
  region: string;
  transfer_mechanism: string;
  dpa_signed_at: string | null;
  dpa_expires_at: string | null;
  /** JSON array of `{ kind, expiresAt }` (soc2_type2, iso27001, …). */
  certifications: string;
  /** JSON array of sub-processor names. */
  sub_processors: string;
  breach_notice_hours: number;
  last_review_at: string | null;
  next_review_at: string;
  open_findings: number;
  owner: string;
  /** active | suspended */
  status: string;
  /** review_overdue | dpa_expired | manual:<text> | incident:<text>: why the vendor is suspended. */
  suspended_reason: string | null;
  suspended_at: string | null;
  /** Version of the tenant `index` key the vendor's pseudonym key is derived from (pinned, so pseudonyms stay stable). */
  pseudonym_key_version: number;
  created_at: string;
  updated_at: string;
}
