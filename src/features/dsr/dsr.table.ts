/** A data-subject request. `reason_ct` is sealed under the tenant `restricted` key; `detail` is
 * JSON of non-personal facts (field names rectified, counts). */
export interface DsrRequestsTable {
  id: string;
  tenant_id: string;
  contact_id: string;
  type: 'access' | 'erasure' | 'rectification';
  status: 'open' | 'in_progress' | 'completed' | 'rejected';
  regime: string;
  reason_ct: Buffer | null;
  detail: string;
  created_by: string;
  received_at: string;
  due_at: string;
  completed_at: string | null;
  /** SHA-256 of the one-time download token of an access archive; null once used or expired. */
  download_hash: Buffer | null;
  download_expires_at: string | null;
  download_file: string | null;
  updated_at: string;
}

/** What remains of an erased customer: random ids and times only. */
export interface DsrTombstonesTable {
  id: string;
  tenant_id: string;
  contact_id: string;
  origin: 'request' | 'retention' | 'cli';
  request_id: string | null;
  erased_at: string;
  purge_status: 'pending' | 'done';
  purged_at: string | null;
}
