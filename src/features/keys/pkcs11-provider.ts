import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AEAD_FORMAT_VERSION, AEAD_OVERHEAD, keyVersionOf } from '../../lib/crypto/aead.ts';
import {
  ConfigError,
  ConflictError,
  DecryptionError,
  InvalidSharesError,
  SealedError,
} from '../../lib/errors.ts';
import type { KeyProvider, RootVersion, UnsealProgress } from './key-provider.ts';
import { verifyRecoveryShares } from './recovery-keys.ts';

export interface Pkcs11Options {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly library: string;
  /** The token, by label (preferred) or slot index. */
  readonly tokenLabel?: string;
  readonly slot?: number;
  readonly pin: string;
  /** Label shared by every root key version in the token; CKA_ID holds the version (u32 BE). */
  readonly keyLabel: string;
  /**
   * Where the recovery-key verifier lives (the data directory). The token unseals with its PIN, so
   * Shamir recovery shares are what gates a root rotation (`authorizeRootRotation`).
   */
  readonly recoveryDir?: string;
}

const NONCE_BYTES = 12;
const TAG_BITS = 128;

/**
 * The root key inside an HSM: each root version is a non-extractable, sensitive AES-256 key in the
 * token, and wrap/unwrap are AES-GCM operations done by the token. The process never sees root key
 * bytes. "Unsealed" means logged in to the token (auto-unseal with the PIN at start); `seal` logs out.
 * Blobs have the same layout as every ChatVault AEAD ciphertext (`0x01 | version | nonce | ct | tag`).
 */
export function createPkcs11Provider(options: Pkcs11Options): KeyProvider & { autoUnseal(): boolean } {
  const lib = new pkcs11js.PKCS11();
  let loaded = false;
  let session: Buffer | undefined;
  let handles = new Map<number, Buffer>();
  /** Set by k valid recovery shares; consumed by the next `rotateRoot`. */
  let rotationAuthorized = false;

  function load(): void {
    if (loaded) return;
    try {
      lib.load(options.library);
    } catch {
      throw new ConfigError([`CHATVAULT_PKCS11_LIBRARY: cannot load the PKCS#11 module ${options.library}`]);
    }
    try {
      lib.C_Initialize();
    } catch (error) {
      // Another provider in this process initialised the module already: that is fine.
      if (!String(error).includes('CKR_CRYPTOKI_ALREADY_INITIALIZED')) throw error;
    }
    loaded = true;
  }

  function slotOf(): Buffer {
    const slots = lib.C_GetSlotList(true);
    if (options.tokenLabel !== undefined) {
      const found = slots.find((s) => lib.C_GetTokenInfo(s).label.trim() === options.tokenLabel);
      if (!found)
        throw new ConfigError([`CHATVAULT_PKCS11_TOKEN_LABEL: no token labelled ${options.tokenLabel}`]);
      return found;
    }
    const slot = slots[options.slot ?? 0];
    if (!slot)
      throw new ConfigError([`CHATVAULT_PKCS11_SLOT: no initialised token in slot ${options.slot ?? 0}`]);
    return slot;
  }

  function findKeys(s: Buffer): Map<number, Buffer> {
    lib.C_FindObjectsInit(s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: options.keyLabel },
    ]);
    const found = new Map<number, Buffer>();
    try {
      for (const h of lib.C_FindObjects(s, 1000)) {
        const [id] = lib.C_GetAttributeValue(s, h, [{ type: pkcs11js.CKA_ID }]);
        const bytes = id?.value;
        if (bytes?.length === 4) found.set(bytes.readUInt32BE(0), h);
      }
    } finally {
      lib.C_FindObjectsFinal(s);
    }
    return found;
  }

  function generate(s: Buffer, version: number): Buffer {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(version);
    return lib.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_LABEL, value: options.keyLabel },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
  }

  function finishOpen(s: Buffer): boolean {
    handles = findKeys(s);
    if (handles.size === 0) handles.set(1, generate(s, 1));
    session = s;
    return true;
  }

  const active = () => Math.max(...handles.keys());

  function requireSession(): Buffer {
    if (!session || handles.size === 0) throw new SealedError();
    return session;
  }

  const gcm = (iv: Buffer, ad: Uint8Array) => ({
    mechanism: pkcs11js.CKM_AES_GCM,
    parameter: {
      type: pkcs11js.CK_PARAMS_AES_GCM,
      iv,
      aad: Buffer.from(ad),
      ivBits: NONCE_BYTES * 8,
      tagBits: TAG_BITS,
    },
  });

  const provider = {
    kind: 'pkcs11' as const,
    isInitialized: () => true,
    isSealed: () => session === undefined,
    status(): UnsealProgress {
      return { sealed: session === undefined, received: 0, threshold: 0 };
    },
    wrap(plaintext: Uint8Array, ad: Uint8Array): Buffer {
      const s = requireSession();
      const version = active();
      const nonce = randomBytes(NONCE_BYTES);
      lib.C_EncryptInit(s, gcm(nonce, ad), handles.get(version)!);
      const body = lib.C_Encrypt(s, Buffer.from(plaintext), Buffer.alloc(plaintext.length + TAG_BITS / 8));
      const header = Buffer.alloc(5);
      header[0] = AEAD_FORMAT_VERSION;
      header.writeUInt32BE(version, 1);
      return Buffer.concat([header, nonce, body]);
    },
    unwrap(wrapped: Uint8Array, ad: Uint8Array): Buffer {
      const s = requireSession();
      const version = keyVersionOf(wrapped);
      if (!handles.has(version)) handles = findKeys(s);
      const key = handles.get(version);
      if (!key) throw new DecryptionError(`Root key version ${version} is not held by this provider`);
      const blob = Buffer.from(wrapped);
      try {
        lib.C_DecryptInit(s, gcm(blob.subarray(5, 5 + NONCE_BYTES), ad), key);
        return Buffer.from(
          lib.C_Decrypt(s, blob.subarray(5 + NONCE_BYTES), Buffer.alloc(blob.length - AEAD_OVERHEAD + 16)),
        );
      } catch {
        throw new DecryptionError();
      }
    },
    submitShare(): Promise<UnsealProgress> {
      return Promise.reject(
        new InvalidSharesError('The pkcs11 provider unseals with the token PIN at start, not with shares'),
      );
    },
    resetUnseal() {},
    forget() {
      if (session) {
        try {
          lib.C_Logout(session);
          lib.C_CloseSession(session);
        } catch {
          // The token may already have dropped the session; nothing stays in this process either way.
        }
      }
      session = undefined;
      handles = new Map();
    },
    seal() {
      provider.forget();
    },
    /** Opens a session and logs in with the PIN; creates root version 1 in an empty token. */
    autoUnseal(): boolean {
      if (session) return true;
      load();
      const s = lib.C_OpenSession(slotOf(), pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        lib.C_Login(s, pkcs11js.CKU_USER, options.pin);
      } catch (error) {
        if (String(error).includes('CKR_USER_ALREADY_LOGGED_IN')) return finishOpen(s);
        lib.C_CloseSession(s);
        throw new ConfigError(['CHATVAULT_PKCS11_PIN: the token refused the PIN']);
      }
      return finishOpen(s);
    },
    activeRootVersion(): number {
      requireSession();
      return active();
    },
    rootVersions(): RootVersion[] {
      if (!session) return [];
      handles = findKeys(session);
      const top = active();
      return [...handles.keys()]
        .sort((a, b) => a - b)
        .map((version) => ({ version, createdAt: '', active: version === top }));
    },
    async authorizeRootRotation(shares: readonly string[]): Promise<void> {
      requireSession();
      if (!options.recoveryDir)
        throw new InvalidSharesError(
          'No recovery keys are configured for this HSM; root rotation is refused',
        );
      await verifyRecoveryShares(options.recoveryDir, shares);
      rotationAuthorized = true;
    },
    rotateRoot(): number {
      const s = requireSession();
      if (!rotationAuthorized)
        throw new InvalidSharesError('Root rotation on the HSM needs k recovery shares (--shares-from)');
      rotationAuthorized = false;
      handles = findKeys(s);
      const version = active() + 1;
      handles.set(version, generate(s, version));
      return version;
    },
    destroyRootVersion(version: number): void {
      const s = requireSession();
      handles = findKeys(s);
      if (version === active()) throw new ConflictError('The active root version cannot be destroyed');
      const h = handles.get(version);
      if (h) lib.C_DestroyObject(s, h);
      handles.delete(version);
    },
  };
  return provider;
}
