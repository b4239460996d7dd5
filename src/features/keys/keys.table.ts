export interface TenantKeysTable {
  tenant_id: string;
  purpose: string;
  version: number;
  /** The key material, AEAD-sealed under the root key (header carries the root key version). */
  wrapped: Buffer;
  /** Public half for asymmetric purposes (audit: Ed25519 SPKI, collect: P-256 SPKI); null otherwise. */
  public_key: Buffer | null;
  /** `active` (encrypts), `retired` (decrypts only) or `destroyed` (trimmed: wrapped bytes erased). */
  status: string;
  created_at: string;
  /** Encryptions made under this version (flushed from memory); rotation happens well below 2^32. */
  encryptions: number;
  retired_at: string | null;
}

/** Retired versions of customer data keys, kept while data encrypted under them remains (rotation). */
export interface ContactKeysTable {
  contact_id: string;
  version: number;
  tenant_id: string;
  /** The customer's data key, AEAD-sealed under the tenant `data` key (header carries its version). */
  wrapped: Buffer;
  status: string;
  created_at: string;
}

/** Per tenant key purpose: the oldest version still allowed to decrypt, and when to rotate. */
export interface KeyPoliciesTable {
  tenant_id: string;
  purpose: string;
  /** Versions below this one refuse to decrypt (Vault's `min_decryption_version`). */
  min_decryption_version: number;
  /** Scheduled rotation after this many days. */
  rotation_days: number;
  /** Rotate once a version has made this many encryptions (well below the AES-GCM 2^32 bound). */
  max_encryptions: number;
  updated_at: string;
}

/** A background rewrap or re-encryption, resumable: its cursor moves in the same transaction as the rows. */
export interface KeyJobsTable {
  id: string;
  /** The tenant, or `system` for the root key. */
  tenant_id: string;
  /** `rewrap` (customer keys under a new tenant `data` key), `rewrap_root`, `reencrypt`, `reindex`. */
  kind: string;
  purpose: string;
  target_version: number;
  /** For `reencrypt`: the customer. */
  contact_id: string | null;
  phase: string;
  /** Last id handled in the current phase ('' before the first). */
  cursor: string;
  done: number;
  total: number;
  status: 'running' | 'done' | 'failed';
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}
