/** Argon2id PHC string of the peppered password; the pepper itself is derived, never stored. */
export interface AuthPasswordsTable {
  operator_id: string;
  tenant_id: string;
  hash: string;
  /** Version of the tenant `restricted` key the pepper was derived from. */
  pepper_version: number;
  updated_at: string;
}

/** One TOTP seed per operator, sealed under the tenant `restricted` key and bound to this row. */
export interface AuthTotpTable {
  operator_id: string;
  tenant_id: string;
  seed_ct: Buffer;
  /** The last accepted time step: a code of this step or an earlier one is never accepted again. */
  last_step: number | null;
  /** Null while the operator has not yet proved the authenticator app works. */
  confirmed_at: string | null;
  created_at: string;
}

export interface AuthPasskeysTable {
  id: string;
  tenant_id: string;
  operator_id: string;
  /** base64url credential id, unique across the installation. */
  credential_id: string;
  public_key: Buffer;
  counter: number;
  /** JSON array of transports. */
  transports: string;
  device_type: string;
  backed_up: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** Single-use recovery codes as HMAC-SHA256 under a key derived from the tenant `restricted` key. */
export interface AuthRecoveryCodesTable {
  id: string;
  tenant_id: string;
  operator_id: string;
  code_hash: Buffer;
  key_version: number;
  used_at: string | null;
  created_at: string;
}

export type SessionKind = 'session' | 'preauth' | 'enroll';

/** Server-side sessions. Only SHA-256 of the 256-bit secret is stored; `id` is a public handle. */
export interface AuthSessionsTable {
  id: string;
  id_hash: Buffer;
  tenant_id: string;
  operator_id: string;
  kind: SessionKind;
  created_at: string;
  last_seen_at: string;
  idle_seconds: number;
  expires_at: string;
  mfa_verified_at: string | null;
  mfa_method: string | null;
  /** A pending WebAuthn challenge (base64url) and when it was issued; cleared on first use. */
  challenge: string | null;
  challenge_at: string | null;
  revoked_at: string | null;
}

/** One-time enrollment links; only SHA-256 of the 256-bit token is stored. */
export interface AuthEnrollmentsTable {
  id: string;
  token_hash: Buffer;
  tenant_id: string;
  operator_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Online-guessing counters: `acct:<tenant>:<keyed e-mail hash>` and `ip:<address>`. */
export interface AuthThrottleTable {
  key: string;
  failures: number;
  window_start: string;
  blocked_until: string | null;
  hard_locked: number;
  updated_at: string;
}

/** Per-tenant sign-in settings, within NIST SP 800-63B-4 AAL2 limits. */
export interface AuthSettingsTable {
  tenant_id: string;
  idle_timeout_s: number;
  absolute_timeout_s: number;
  require_passkey_admins: number;
  updated_at: string;
}
