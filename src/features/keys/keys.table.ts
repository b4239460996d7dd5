export interface TenantKeysTable {
  tenant_id: string;
  purpose: string;
  version: number;
  /** The key material, AEAD-sealed under the root key (header carries the root key version). */
  wrapped: Buffer;
  /** Public half for asymmetric purposes (audit: Ed25519 SPKI, collect: P-256 SPKI); null otherwise. */
  public_key: Buffer | null;
  status: string;
  created_at: string;
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
