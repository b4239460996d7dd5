/** An outbound webhook subscription; the signing secret is sealed under the tenant `restricted` key. */
export interface VendorWebhooksTable {
  id: string;
  tenant_id: string;
  vendor_id: string;
  /** The API key whose field allowlist shapes every payload (and whose state gates delivery). */
  key_id: string;
  url: string;
  /** JSON array of event names. */
  events: string;
  secret_ct: Buffer;
  created_by: string;
  created_at: string;
  disabled_at: string | null;
}

/** One delivery attempt: ids, codes and timings only, never the payload. */
export interface VendorWebhookDeliveriesTable {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  attempt: number;
  /** delivered | retry | failed | skipped */
  outcome: string;
  http_status: number | null;
  error: string | null;
  duration_ms: number;
  at: string;
}
