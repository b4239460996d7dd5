export type OperatorRole = 'agent' | 'marketer' | 'admin' | 'auditor' | 'owner';
export type OperatorStatus = 'pending' | 'active' | 'disabled';

export interface OperatorsTable {
  id: string;
  tenant_id: string;
  /** Full keyed hash of the normalised e-mail (unique per tenant, so no frequency to hide). */
  email_key: Buffer;
  /** E-mail sealed under the tenant `restricted` key, bound to this row. */
  email_ct: Buffer;
  name_ct: Buffer | null;
  role: OperatorRole;
  status: OperatorStatus;
  created_at: string;
  updated_at: string;
}
