/**
 * Vendor API keys. The secret is never stored: `secret_hash` is HMAC-SHA256 under a key derived
 * from the tenant `index` key (version `hash_key_version`), so a database copy cannot be used to
 * test guesses offline without the vault.
 */
export interface VendorApiKeysTable {
  id: string;
  tenant_id: string;
  vendor_id: string;
  label: string;
  /** `cv_<env>_<id>`: the visible part, shown in lists and logs. */
  prefix: string;
  secret_hash: Buffer;
  hash_key_version: number;
  /** JSON record resource → read | write | none. */
  scopes: string;
  /** JSON record field → omit | pseudonym | masked | clear. */
  fields: string;
  /** JSON array of CIDR blocks (IPv4 and IPv6); empty = any address. */
  ip_allowlist: string;
  rate_per_minute: number;
  expires_at: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
}
