import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { associatedData } from '../../lib/crypto/aead.ts';
import { KeyNotFoundError, SealedError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { KeyProvider } from '../keys/key-provider.ts';
import * as keysRepo from '../keys/keys.repository.ts';

/**
 * The tenant `collect` key pair (P-256; created with the tenant, rotated like the other purposes).
 * The private key is unwrapped through the provider for one decryption and never cached; the public
 * key the page gets is re-derived from it (the stored `public_key` column is not trusted on its own).
 */
export function createCollectKeys(deps: { db: Db; provider: Pick<KeyProvider, 'isSealed' | 'unwrap'> }) {
  const publicKeys = new Map<string, { version: number; spki: Buffer }>();

  async function privateKey(tenantId: string, version: number): Promise<KeyObject> {
    if (deps.provider.isSealed()) throw new SealedError();
    const row = (await keysRepo.listTenantKeys(deps.db, tenantId, 'collect')).find(
      (r) => r.version === version,
    );
    if (!row || row.status === 'destroyed') throw new KeyNotFoundError(version);
    const der = deps.provider.unwrap(
      row.wrapped,
      associatedData(tenantId, 'tenant_keys', 'collect', String(version)),
    );
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
    }
  }

  return {
    privateKey,

    /** The active public key (SPKI DER) and its version, derived from the wrapped private key. */
    async activePublicKey(tenantId: string): Promise<{ version: number; spki: Buffer }> {
      const version = await keysRepo.findActiveTenantKeyVersion(deps.db, tenantId, 'collect');
      if (version === undefined) throw new KeyNotFoundError(0);
      const id = `${tenantId}:${version}`;
      const cached = publicKeys.get(id);
      if (cached) return cached;
      const spki = createPublicKey(await privateKey(tenantId, version)).export({
        format: 'der',
        type: 'spki',
      });
      const entry = { version, spki };
      publicKeys.set(id, entry);
      return entry;
    },
  };
}

export type CollectKeys = ReturnType<typeof createCollectKeys>;
