/**
 * The audit log. `seq` and `hash` stay null while an entry is pending (appended, not yet chained by
 * the sequencer). No column holds personal data in clear: `reason_ct`/`detail_ct` are AEAD
 * ciphertexts under the subject customer's key (or the tenant `restricted` key).
 */
export interface AuditEntriesTable {
  id: string;
  tenant_id: string;
  seq: number | null;
  /** hash_n = SHA-256(0x00 | hash_{n-1} | canonical(entry)); also the RFC 6962 leaf hash. */
  hash: Buffer | null;
  time: string;
  actor_type: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  outcome: string;
  reason_ct: Buffer | null;
  detail_ct: Buffer | null;
  subject_id: string | null;
  /** JSON array of the ids of the policies that decided. */
  policy_ids: string;
  client_ip: string | null;
  request_id: string | null;
  /** The public id of the sign-in session the entry was written in (never its secret); else null. */
  session_id: string | null;
}

/** The sequencer's state per tenant: size, last chain hash and the Merkle compact range. */
export interface AuditHeadsTable {
  tenant_id: string;
  size: number;
  hash: Buffer;
  frontier: Buffer;
  checkpoint_count: number;
  checkpoint_size: number;
  checkpoint_at: string | null;
}

/** Signed tree heads, numbered 0, 1, 2… per tenant (the number is signed too). */
export interface AuditCheckpointsTable {
  tenant_id: string;
  ordinal: number;
  tree_size: number;
  root_hash: Buffer;
  chain_head: Buffer;
  time: string;
  key_version: number;
  signature: Buffer;
}

/** Complete Merkle subtrees at levels 8, 16, 24 and 32, so proofs read O(log n) small ranges. */
export interface AuditNodesTable {
  tenant_id: string;
  level: number;
  idx: number;
  hash: Buffer;
}
