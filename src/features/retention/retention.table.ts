/** Purging a customer is suspended while a hold exists; `reason_ct` is under the tenant `restricted` key. */
export interface LegalHoldsTable {
  contact_id: string;
  tenant_id: string;
  reason_ct: Buffer | null;
  created_by: string;
  created_at: string;
}

/** One retention pass over a tenant: its cut-off times fixed at the start, a cursor per phase. */
export interface RetentionRunsTable {
  id: string;
  tenant_id: string;
  phase: 'messages' | 'media' | 'customers' | 'done';
  cursor: string;
  cutoffs: string;
  counts: string;
  status: 'running' | 'completed';
  started_at: string;
  finished_at: string | null;
}
