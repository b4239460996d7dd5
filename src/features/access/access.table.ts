/** No column here holds personal data in clear: reasons are AEAD ciphertexts under the tenant `restricted` key. */

/** One row per tenant: bumped on every policy change so every process reloads the set. */
export interface AccessPolicySetsTable {
  tenant_id: string;
  version: number;
  updated_at: string;
}

export type TenantPolicyStatus = 'active' | 'disabled';

/** A tenant's own Cedar policy (one policy per row; its id is the row id). Never edited, only disabled. */
export interface AccessPoliciesTable {
  id: string;
  tenant_id: string;
  description: string;
  text: string;
  status: TenantPolicyStatus;
  added_in_version: number;
  disabled_in_version: number | null;
  created_by: string;
  created_at: string;
  disabled_by: string | null;
  disabled_at: string | null;
}

/** Agent ↔ customer: the agent may work this customer's conversations. */
export interface AccessAssignmentsTable {
  tenant_id: string;
  contact_id: string;
  operator_id: string;
  assigned_by: string;
  assigned_at: string;
}

/** Honeytoken customers: any look at one is a high-fidelity alert for detection. */
export interface AccessCanariesTable {
  tenant_id: string;
  contact_id: string;
  created_at: string;
}

export interface BreakGlassGrantsTable {
  id: string;
  tenant_id: string;
  operator_id: string;
  reason_ct: Buffer;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

export type ApprovalKind = 'contacts_export' | 'key_destroy';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'executed';

export interface ApprovalRequestsTable {
  id: string;
  tenant_id: string;
  kind: ApprovalKind;
  /** An id-like reference to what is to run (an export job, a key version); never personal data. */
  payload_ref: string;
  requester_id: string;
  reason_ct: Buffer;
  status: ApprovalStatus;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  executed_at: string | null;
}

export type TrainingKind = 'security_training' | 'policy_ack';

export interface TrainingRecordsTable {
  id: string;
  tenant_id: string;
  operator_id: string;
  kind: TrainingKind;
  version: string;
  completed_at: string;
  expires_at: string;
  evidence_ref: string | null;
  recorded_by: string;
  created_at: string;
}

/** One row per reveal, for the "reveals in the last hour" figure detection reads. */
export interface AccessRevealsTable {
  id: string;
  tenant_id: string;
  operator_id: string;
  contact_id: string;
  field: string;
  at: string;
}
