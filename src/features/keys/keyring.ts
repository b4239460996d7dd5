import { randomBytes } from 'node:crypto';
import { associatedData, keyVersionOf, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import { hkdf } from '../../lib/crypto/hkdf.ts';
import type { Clock } from '../../lib/clock.ts';
import { KeyNotFoundError, SealedError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import { createAuditKeys } from './audit-keys.ts';
import { KeyCache } from './key-cache.ts';
import type { KeyProvider } from './key-provider.ts';
import * as repo from './keys.repository.ts';
import { KEY_PURPOSES, generateKeyMaterial, type SymmetricPurpose } from './tenant-key-material.ts';

export interface KeyringDeps {
  readonly db: Db;
  readonly provider: Pick<KeyProvider, 'isSealed' | 'wrap' | 'unwrap'>;
  readonly cacheSize: number;
  readonly clock: Clock;
}

const tenantKeyAd = (tenantId: string, purpose: string, version: number) =>
  associatedData(tenantId, 'tenant_keys', purpose, String(version));
const contactKeyAd = (tenantId: string, contactId: string, version: number) =>
  associatedData(tenantId, 'contact_keys', 'key', `${contactId}:${version}`);

/**
 * The key hierarchy below the root: versioned tenant keys per purpose (wrapped by the root) and one
 * data key per customer (wrapped by the tenant `data` key). Unwrapped keys live only in bounded,
 * zeroing caches, emptied by `clear()` when the vault is sealed.
 */
export function createKeyring(deps: KeyringDeps) {
  const { db, provider, clock } = deps;
  const tenantKeys = new KeyCache<AeadKey>(Math.max(64, Math.ceil(deps.cacheSize / 100)));
  const derivedKeys = new KeyCache<Buffer>(Math.max(64, Math.ceil(deps.cacheSize / 100)));
  const contactKeys = new KeyCache<AeadKey>(deps.cacheSize);
  const activeVersions = new Map<string, number>();
  const auditKeys = createAuditKeys({ db, provider, ad: tenantKeyAd });

  function assertUnsealed(): void {
    if (provider.isSealed()) throw new SealedError();
  }

  async function activeVersion(tenantId: string, purpose: SymmetricPurpose): Promise<number> {
    const id = `${tenantId}:${purpose}`;
    let version = activeVersions.get(id);
    if (version === undefined) {
      version = await repo.findActiveTenantKeyVersion(db, tenantId, purpose);
      if (version === undefined) throw new KeyNotFoundError(0);
      activeVersions.set(id, version);
    }
    return version;
  }

  /** A symmetric tenant key; the active version when `version` is omitted. */
  async function tenantKey(tenantId: string, purpose: SymmetricPurpose, version?: number): Promise<AeadKey> {
    assertUnsealed();
    const v = version ?? (await activeVersion(tenantId, purpose));
    const id = `${tenantId}:${purpose}:${v}`;
    const cached = tenantKeys.get(id);
    if (cached) return cached;
    const row = await repo.findTenantKey(db, tenantId, purpose, v);
    if (!row || row.status === 'destroyed') throw new KeyNotFoundError(v);
    const key: AeadKey = { id: v, key: provider.unwrap(row.wrapped, tenantKeyAd(tenantId, purpose, v)) };
    tenantKeys.set(id, key);
    return key;
  }

  /** Unwraps (or takes from cache) a customer's data key whose wrapped form the caller already read. */
  async function openContactKey(
    tenantId: string,
    contactId: string,
    version: number,
    wrapped: Buffer,
  ): Promise<AeadKey> {
    assertUnsealed();
    const id = `${contactId}:${version}`;
    const cached = contactKeys.get(id);
    if (cached) return cached;
    const tenantData = await tenantKey(tenantId, 'data', keyVersionOf(wrapped));
    const key: AeadKey = {
      id: version,
      key: open(tenantData, wrapped, contactKeyAd(tenantId, contactId, version)),
    };
    contactKeys.set(id, key);
    return key;
  }

  return {
    tenantKey,

    /** Creates version 1 of every tenant key purpose, inside the caller's transaction. */
    async createTenantKeys(trx: Db, tenantId: string): Promise<void> {
      assertUnsealed();
      for (const purpose of KEY_PURPOSES) {
        const material = generateKeyMaterial(purpose);
        await repo.insertTenantKey(trx, {
          tenant_id: tenantId,
          purpose,
          version: 1,
          wrapped: provider.wrap(material.secret, tenantKeyAd(tenantId, purpose, 1)),
          public_key: material.publicKey,
          status: 'active',
          created_at: clock.now().toISOString(),
        });
        material.secret.fill(0);
      }
    },

    /**
     * The HMAC key of one blind index, derived (HKDF) from the tenant `index` key with
     * `table|column|index`, so no two indexes share a key. Cached per active `index` key: rotating that
     * key must call `clear()` (or restart) so indexes are computed under the new version.
     */
    async indexKey(tenantId: string, table: string, column: string, index: string): Promise<Buffer> {
      assertUnsealed();
      const id = `${tenantId}:${table}|${column}|${index}`;
      const cached = derivedKeys.get(id);
      if (cached) return cached;
      const base = await tenantKey(tenantId, 'index');
      const derived = hkdf(base.key, `chatvault-blind-index-v1|${table}|${column}|${index}`);
      derivedKeys.set(id, derived);
      return derived;
    },

    /** A fresh data key for a new customer: the key for immediate use and its wrapped form to store. */
    async newContactKey(tenantId: string, contactId: string): Promise<{ key: AeadKey; wrapped: Buffer }> {
      const tenantData = await tenantKey(tenantId, 'data');
      const key: AeadKey = { id: 1, key: randomBytes(32) };
      const wrapped = seal(tenantData, key.key, contactKeyAd(tenantId, contactId, 1));
      contactKeys.set(`${contactId}:1`, key);
      return { key, wrapped };
    },

    openContactKey,

    /** Loads and unwraps a customer's data key by version. */
    async contactKey(tenantId: string, contactId: string, version: number): Promise<AeadKey> {
      assertUnsealed();
      const cached = contactKeys.get(`${contactId}:${version}`);
      if (cached) return cached;
      const row = await repo.findContactKey(db, tenantId, contactId, version);
      if (!row || row.status === 'destroyed') throw new KeyNotFoundError(version);
      return openContactKey(tenantId, contactId, version, row.wrapped);
    },

    /** Signs audit checkpoints with the tenant's active Ed25519 `audit` key (unwrapped by the provider). */
    auditSigner: auditKeys.signer,

    /** The tenant's audit public keys, each re-derived from its wrapped private key when unsealed. */
    auditPublicKeys: auditKeys.publicKeys,

    /** Zeroes every cached key (on seal). */
    clear(): void {
      auditKeys.clear();
      tenantKeys.clear();
      derivedKeys.clear();
      contactKeys.clear();
      activeVersions.clear();
    },
  };
}

export type Keyring = ReturnType<typeof createKeyring>;
