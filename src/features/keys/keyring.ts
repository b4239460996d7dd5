import { createHmac, randomBytes } from 'node:crypto';
import { associatedData, keyVersionOf, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import { hkdf } from '../../lib/crypto/hkdf.ts';
import type { Clock } from '../../lib/clock.ts';
import { KeyNotFoundError, SealedError } from '../../lib/errors.ts';
import { singleFlight } from '../../lib/single-flight.ts';
import type { Db } from '../../db/database.ts';
import { createAuditKeys } from './audit-keys.ts';
import { KeyCache } from './key-cache.ts';
import type { KeyProvider } from './key-provider.ts';
import { addEncryptions, findPolicy } from './key-jobs.repository.ts';
import * as repo from './keys.repository.ts';
import { KEY_PURPOSES, generateKeyMaterial, type SymmetricPurpose } from './tenant-key-material.ts';

export interface KeyringDeps {
  readonly db: Db;
  readonly provider: Pick<KeyProvider, 'isSealed' | 'wrap' | 'unwrap'>;
  readonly cacheSize: number;
  readonly clock: Clock;
  /**
   * Per-customer shredding secrets held outside the database (features/dsr/shred-store.ts). New
   * customer keys are bound to them, so erasing a customer there defeats every database backup.
   */
  readonly shred?: { allocate(): number; secret(leaf: number): Buffer };
}

/**
 * How long an evicted customer key stays intact for requests still using it before it is zeroed.
 * Customer keys only seal and open (which refuse or fail on a zeroed key). Tenant and derived keys
 * are never zeroed on eviction: a rotation job holds them for minutes, and a zeroed index key would
 * silently compute wrong blind indexes.
 */
const EVICTED_KEY_GRACE_MS = 10_000;

/**
 * A wrapped customer key bound to a shredding secret holds `0x03 | leaf (u64 BE) | 32 key bytes`
 * (41 bytes); legacy keys are 32 bare bytes. The key used is HMAC(secret of the leaf, label | bytes).
 */
const SHRED_BOUND = 0x03;
const SHRED_BOUND_LENGTH = 41;
const SHRED_LABEL = Buffer.from('chatvault-contact-key|shred-bound|');
const shredBound = (secret: Buffer, raw: Buffer) =>
  createHmac('sha256', secret).update(SHRED_LABEL).update(raw).digest();

/** How long a process trusts its cached active key version before asking the database again. */
export const ACTIVE_VERSION_TTL_MS = 2_000;
/** The `index` version keyed hashes of unstored inputs stay under (see `indexKey`); never trimmed. */
export const STABLE_INDEX_VERSION = 1;

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
  const contactKeys = new KeyCache<AeadKey>(deps.cacheSize, { zeroEvictedAfterMs: EVICTED_KEY_GRACE_MS });
  // Active versions and decryption floors are re-read after a few seconds, so a rotation made by
  // another process (the CLI beside a server) is picked up without a restart.
  const activeVersions = new Map<string, { version: number; min: number; at: number }>();
  const usage = new Map<string, number>();
  const indexLookups = new Map<string, { active: number; lookup: readonly number[]; at: number }>();
  const refreshVersion = singleFlight<{ version: number; min: number; at: number }>();
  const refreshLookup = singleFlight<{ active: number; lookup: readonly number[]; at: number }>();
  const auditKeys = createAuditKeys({ db, provider, ad: tenantKeyAd });

  function assertUnsealed(): void {
    if (provider.isSealed()) throw new SealedError();
  }

  async function versionState(tenantId: string, purpose: string) {
    const id = `${tenantId}:${purpose}`;
    const now = Date.now();
    const state = activeVersions.get(id);
    if (state !== undefined && now - state.at <= ACTIVE_VERSION_TTL_MS) return state;
    return refreshVersion(id, async () => {
      const version = await repo.findActiveTenantKeyVersion(db, tenantId, purpose);
      if (version === undefined) throw new KeyNotFoundError(0);
      const policy = await findPolicy(db, tenantId, purpose);
      const fresh = { version, min: policy?.min_decryption_version ?? 1, at: now };
      activeVersions.set(id, fresh);
      return fresh;
    });
  }

  /**
   * The active version of a tenant key when it is already in memory and its version was checked
   * recently, without waiting; undefined sends the caller to {@link tenantKey}. Hot paths (every
   * audit append) take it first: an await costs them more than the key lookup itself.
   */
  function cachedTenantKey(tenantId: string, purpose: SymmetricPurpose): AeadKey | undefined {
    if (provider.isSealed()) return undefined;
    const state = activeVersions.get(`${tenantId}:${purpose}`);
    if (state === undefined || Date.now() - state.at > ACTIVE_VERSION_TTL_MS || state.version < state.min)
      return undefined;
    return tenantKeys.get(`${tenantId}:${purpose}:${state.version}`);
  }

  /** A symmetric tenant key; the active version when `version` is omitted. */
  async function tenantKey(tenantId: string, purpose: SymmetricPurpose, version?: number): Promise<AeadKey> {
    assertUnsealed();
    const state = await versionState(tenantId, purpose);
    const v = version ?? state.version;
    if (v < state.min) throw new KeyNotFoundError(v, 'is below the minimum decryption version');
    const id = `${tenantId}:${purpose}:${v}`;
    const cached = tenantKeys.get(id);
    if (cached) return cached;
    const row = await repo.findTenantKey(db, tenantId, purpose, v);
    if (!row || row.status === 'destroyed') throw new KeyNotFoundError(v);
    const key: AeadKey = { id: v, key: provider.unwrap(row.wrapped, tenantKeyAd(tenantId, purpose, v)) };
    tenantKeys.set(id, key);
    return key;
  }

  /** What to wrap for a fresh customer key (with a fresh shredding leaf), and the key used to encrypt. */
  function bindShred(raw: Buffer): { clear: Buffer; key: Buffer } {
    if (!deps.shred) return { clear: raw, key: raw };
    const leaf = deps.shred.allocate();
    const clear = Buffer.alloc(SHRED_BOUND_LENGTH);
    clear[0] = SHRED_BOUND;
    clear.writeBigUInt64BE(BigInt(leaf), 1);
    raw.copy(clear, 9);
    const key = shredBound(deps.shred.secret(leaf), raw);
    raw.fill(0);
    return { clear, key };
  }

  /** The shredding leaf of an unwrapped blob, or undefined for a legacy key. */
  const leafOf = (clear: Buffer): number | undefined =>
    clear.length === SHRED_BOUND_LENGTH && clear[0] === SHRED_BOUND
      ? Number(clear.readBigUInt64BE(1))
      : undefined;

  /** The usable key from an unwrapped blob: shred-bound keys need their leaf's shredding secret. */
  function effectiveKey(clear: Buffer): Buffer {
    const leaf = leafOf(clear);
    if (leaf === undefined) return clear;
    if (!deps.shred) throw new KeyNotFoundError(0, 'needs the shredding secrets, which are not configured');
    try {
      return shredBound(deps.shred.secret(leaf), clear.subarray(9));
    } finally {
      clear.fill(0);
    }
  }

  /** Unwraps (or takes from cache) a customer's data key whose wrapped form the caller already read. */
  function countUse(tenantId: string, purpose: string, version: number, n: number): void {
    const id = `${tenantId}|${purpose}|${version}`;
    usage.set(id, (usage.get(id) ?? 0) + n);
  }

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
      key: effectiveKey(open(tenantData, wrapped, contactKeyAd(tenantId, contactId, version))),
    };
    contactKeys.set(id, key);
    return key;
  }

  /** A new version of a customer's data key (rotation after suspected exposure), wrapped and cached. */
  async function newContactKeyVersion(
    tenantId: string,
    contactId: string,
    version: number,
  ): Promise<{ key: AeadKey; wrapped: Buffer }> {
    const tenantData = await tenantKey(tenantId, 'data');
    const bound = bindShred(randomBytes(32));
    const key: AeadKey = { id: version, key: bound.key };
    const wrapped = seal(tenantData, bound.clear, contactKeyAd(tenantId, contactId, version));
    if (bound.clear !== bound.key) bound.clear.fill(0);
    countUse(tenantId, 'data', tenantData.id, 1);
    contactKeys.set(`${contactId}:${version}`, key);
    return { key, wrapped };
  }

  return {
    tenantKey,
    cachedTenantKey,

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
     * The HMAC key of one blind index, derived (HKDF) from version `version` of the tenant `index` key
     * with `table|column|index`, so no two indexes share a key. Without a version: the stable version
     * (1), for keyed hashes whose inputs are not stored and so cannot be recomputed after a rotation
     * (identities, wamids, operator e-mails, tokens). Customers' searchable blind indexes pass the
     * version they are written or searched under (`indexVersions`).
     */
    async indexKey(
      tenantId: string,
      table: string,
      column: string,
      index: string,
      version: number = STABLE_INDEX_VERSION,
    ): Promise<Buffer> {
      assertUnsealed();
      const id = `${tenantId}:${version}:${table}|${column}|${index}`;
      const cached = derivedKeys.get(id);
      if (cached) return cached;
      const base = await tenantKey(tenantId, 'index', version);
      const derived = hkdf(base.key, `chatvault-blind-index-v1|${table}|${column}|${index}`);
      derivedKeys.set(id, derived);
      return derived;
    },

    /**
     * The `index` version new blind indexes are written under (`active`), and the versions a search
     * must try (`lookup`): only the active one, except while a re-index job runs, when every version
     * not destroyed is searched (rows not yet re-indexed still carry the old one). Cached like the
     * active version (ACTIVE_VERSION_TTL_MS).
     */
    async indexVersions(tenantId: string): Promise<{ active: number; lookup: readonly number[] }> {
      assertUnsealed();
      const state = await versionState(tenantId, 'index');
      const cached = indexLookups.get(tenantId);
      if (cached && cached.active === state.version && Date.now() - cached.at <= ACTIVE_VERSION_TTL_MS)
        return cached;
      return refreshLookup(`${tenantId}:${state.version}`, async () => {
        const reindexing = await db
          .selectFrom('key_jobs')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('kind', '=', 'reindex')
          .where('status', '=', 'running')
          .executeTakeFirst();
        const lookup = reindexing
          ? (await repo.listTenantKeys(db, tenantId, 'index'))
              .filter((v) => v.status !== 'destroyed' && v.version >= state.min)
              .map((v) => v.version)
              .sort((a, b) => (a === state.version ? -1 : b === state.version ? 1 : b - a))
          : [state.version];
        const next = { active: state.version, lookup, at: Date.now() };
        indexLookups.set(tenantId, next);
        return next;
      });
    },

    /** A fresh data key for a new customer: the key for immediate use and its wrapped form to store. */
    newContactKey: (tenantId: string, contactId: string): Promise<{ key: AeadKey; wrapped: Buffer }> =>
      newContactKeyVersion(tenantId, contactId, 1),

    newContactKeyVersion,

    /**
     * Re-seals a wrapped customer key under `target` (a newer tenant `data` version) without caching
     * the customer key: a rewrap of a million customers must not evict the keys live traffic uses.
     * Returns null when the blob is already under `target`.
     */
    async rewrapContactKey(
      tenantId: string,
      contactId: string,
      version: number,
      wrapped: Buffer,
      target: AeadKey,
    ): Promise<Buffer | null> {
      const from = keyVersionOf(wrapped);
      if (from === target.id) return null;
      const ad = contactKeyAd(tenantId, contactId, version);
      const clear = open(await tenantKey(tenantId, 'data', from), wrapped, ad);
      try {
        return seal(target, clear, ad);
      } finally {
        clear.fill(0);
      }
    },

    /** Counts encryptions under a tenant key version (flushed to the database by `flushUsage`). */
    countUse,

    /** Writes the counted encryptions to `tenant_keys.encryptions` and forgets them. */
    async flushUsage(into: Db): Promise<void> {
      const pending = [...usage.entries()];
      usage.clear();
      for (const [id, n] of pending) {
        const [tenantId, purpose, version] = id.split('|') as [string, string, string];
        await addEncryptions(into, tenantId, purpose, Number(version), n);
      }
    },

    /** Forgets the cached active version and floor of one purpose (after a rotation or policy change). */
    forgetActive(tenantId: string, purpose: string): void {
      activeVersions.delete(`${tenantId}:${purpose}`);
      if (purpose === 'index') indexLookups.delete(tenantId);
    },

    /** Drops one cached customer key version (after it was re-encrypted away or destroyed). */
    forgetContactKey(contactId: string, version: number): void {
      contactKeys.delete(`${contactId}:${version}`);
    },

    /** Wraps tenant key material under the provider's active root (for rotation). */
    wrapTenantKey(tenantId: string, purpose: string, version: number, secret: Uint8Array): Buffer {
      assertUnsealed();
      return provider.wrap(secret, tenantKeyAd(tenantId, purpose, version));
    },

    /** Re-wraps a tenant key blob under the active root version (root rotation); null if already there. */
    rewrapTenantKey(
      tenantId: string,
      purpose: string,
      version: number,
      wrapped: Buffer,
      rootVersion: number,
    ) {
      assertUnsealed();
      if (keyVersionOf(wrapped) === rootVersion) return null;
      const ad = tenantKeyAd(tenantId, purpose, version);
      const clear = provider.unwrap(wrapped, ad);
      try {
        return provider.wrap(clear, ad);
      } finally {
        clear.fill(0);
      }
    },

    openContactKey,

    /**
     * The shredding leaf a wrapped customer key is bound to (undefined for a legacy key), for erasure:
     * unwraps with the tenant key, reads the leaf, zeroes the rest; never caches the key.
     */
    async contactKeyLeaf(
      tenantId: string,
      contactId: string,
      version: number,
      wrapped: Buffer,
    ): Promise<number | undefined> {
      const tenantData = await tenantKey(tenantId, 'data', keyVersionOf(wrapped));
      const clear = open(tenantData, wrapped, contactKeyAd(tenantId, contactId, version));
      try {
        return leafOf(clear);
      } finally {
        clear.fill(0);
      }
    },

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
      usage.clear();
      auditKeys.clear();
      tenantKeys.clear();
      derivedKeys.clear();
      contactKeys.clear();
      activeVersions.clear();
      indexLookups.clear();
    },
  };
}

export type Keyring = ReturnType<typeof createKeyring>;
