import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { KeyNotFoundError, SealedError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { KeyProvider } from './key-provider.ts';
import * as repo from './keys.repository.ts';

/** Signs audit checkpoints with one version of a tenant's Ed25519 `audit` key. */
export interface AuditSigner {
  readonly version: number;
  sign(message: Uint8Array): Buffer;
}

/** One version of a tenant's audit public key (SPKI DER). */
export interface AuditPublicKey {
  readonly version: number;
  readonly status: string;
  /** As stored in tenant_keys.public_key: attacker-editable, never trusted on its own. */
  readonly stored: Buffer | null;
  /** Re-derived from the root-wrapped private key; null while sealed or when it does not open. */
  readonly derived: Buffer | null;
  /** False when the vault is unsealed but the wrapped private key does not open (tampered). */
  readonly openable: boolean;
}

/**
 * The tenant audit signing keys. The private key is unwrapped only through the provider and kept as
 * a KeyObject in a map emptied on seal; public keys are re-derived from it whenever possible so a
 * swapped `public_key` column cannot vouch for forged checkpoints.
 */
export function createAuditKeys(deps: {
  db: Db;
  provider: Pick<KeyProvider, 'isSealed' | 'unwrap'>;
  ad: (tenantId: string, purpose: string, version: number) => Uint8Array;
}) {
  const privateKeys = new Map<string, KeyObject>();

  function privateKey(tenantId: string, version: number, wrapped: Buffer): KeyObject {
    const id = `${tenantId}:${version}`;
    const cached = privateKeys.get(id);
    if (cached) return cached;
    const der = deps.provider.unwrap(wrapped, deps.ad(tenantId, 'audit', version));
    try {
      const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      privateKeys.set(id, key);
      return key;
    } finally {
      der.fill(0);
    }
  }

  return {
    /** The signer of the newest active audit key version; SealedError while sealed. */
    signer: async (tenantId: string): Promise<AuditSigner> => {
      if (deps.provider.isSealed()) throw new SealedError();
      const rows = await repo.listTenantKeys(deps.db, tenantId, 'audit');
      const active = rows.filter((r) => r.status === 'active').at(-1);
      if (!active) throw new KeyNotFoundError(0);
      const key = privateKey(tenantId, active.version, active.wrapped);
      return { version: active.version, sign: (message) => sign(null, message, key) };
    },

    /** Every version of the tenant's audit public key, with the re-derived key when unsealed. */
    publicKeys: async (tenantId: string): Promise<AuditPublicKey[]> => {
      const rows = await repo.listTenantKeys(deps.db, tenantId, 'audit');
      const sealed = deps.provider.isSealed();
      return rows.map((r) => {
        const base = { version: r.version, status: r.status, stored: r.public_key };
        if (sealed || r.status === 'destroyed') return { ...base, derived: null, openable: true };
        try {
          const key = privateKey(tenantId, r.version, r.wrapped);
          return {
            ...base,
            derived: createPublicKey(key).export({ format: 'der', type: 'spki' }),
            openable: true,
          };
        } catch (error) {
          if (error instanceof SealedError) return { ...base, derived: null, openable: true };
          return { ...base, derived: null, openable: false };
        }
      });
    },

    clear: (): void => {
      privateKeys.clear();
    },
  };
}
