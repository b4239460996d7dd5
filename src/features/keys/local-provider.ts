import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { associatedData, keyVersionOf, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import { combineShares, splitSecret } from '../../lib/crypto/shamir.ts';
import { ConflictError, DecryptionError, InvalidSharesError, SealedError } from '../../lib/errors.ts';
import type { KeyProvider, UnsealProgress } from './key-provider.ts';

export const keyfileSchema = z.object({
  format: z.literal('chatvault-root-v1'),
  shares: z.number().int().min(1).max(255),
  threshold: z.number().int().min(1).max(255),
  active: z.number().int().min(1),
  versions: z
    .array(
      z.object({
        version: z.number().int().min(1),
        wrapped: z.string().max(1024),
        createdAt: z.string().max(40),
      }),
    )
    .min(1),
});
export type Keyfile = z.infer<typeof keyfileSchema>;

/** The unseal key itself is "key version 1" of its own family: it wraps each root key version. */
export const UNSEAL_KEY_ID = 1;

export interface LocalPaths {
  readonly dir: string;
  readonly keyfile: string;
  readonly autoUnseal: string;
  readonly sealedMarker: string;
  readonly recoveryShares: string;
}

export function localPaths(dataDir: string): LocalPaths {
  const dir = path.join(dataDir, 'keys');
  return {
    dir,
    keyfile: path.join(dir, 'root.json'),
    autoUnseal: path.join(dir, 'auto-unseal.key'),
    sealedMarker: path.join(dir, 'sealed'),
    recoveryShares: path.join(dir, 'recovery-shares.txt'),
  };
}

export function rootAd(version: number): Buffer {
  return associatedData('system', 'root_keys', 'key', String(version));
}

/**
 * Creates a new root key, seals it under a fresh unseal key and splits the unseal key into shares.
 * The shares are returned once and never stored by this function.
 */
export async function initLocalKeys(
  dataDir: string,
  options: { shares: number; threshold: number; now: Date; autoUnseal: boolean },
): Promise<{ shares: string[] }> {
  const paths = localPaths(dataDir);
  if (fs.existsSync(paths.keyfile)) throw new ConflictError('The data directory is already initialised');
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const unsealKey = randomBytes(32);
  const rootKey = randomBytes(32);
  try {
    const shares = await splitSecret(unsealKey, options.shares, options.threshold);
    const wrapped = seal({ id: UNSEAL_KEY_ID, key: unsealKey }, rootKey, rootAd(1));
    const keyfile: Keyfile = {
      format: 'chatvault-root-v1',
      shares: options.shares,
      threshold: options.threshold,
      active: 1,
      versions: [{ version: 1, wrapped: wrapped.toString('base64'), createdAt: options.now.toISOString() }],
    };
    if (options.autoUnseal) writePrivate(paths.autoUnseal, unsealKey.toString('base64') + '\n');
    writePrivate(paths.keyfile, JSON.stringify(keyfile, null, 2) + '\n');
    return { shares };
  } finally {
    unsealKey.fill(0);
    rootKey.fill(0);
  }
}

/** Writes a file readable by its owner only, atomically (temp file + rename). */
export function writePrivate(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** The root key held in process memory, sealed under a Shamir-split unseal key on disk. */
export function createLocalProvider(dataDir: string): KeyProvider & { autoUnseal(): boolean } {
  const paths = localPaths(dataDir);
  let roots = new Map<number, AeadKey>();
  let active = 0;
  let pending: string[] = [];
  // Held while unsealed (zeroed on seal) so that root versions added by another process (a rotation
  // from the CLI) can be opened without new shares, and so rotation can seal a new version.
  let heldUnsealKey: Buffer | undefined;

  function readKeyfile(): Keyfile | undefined {
    if (!fs.existsSync(paths.keyfile)) return undefined;
    const parsed = keyfileSchema.safeParse(JSON.parse(fs.readFileSync(paths.keyfile, 'utf8')));
    if (!parsed.success) throw new Error(`The root keyfile ${paths.keyfile} is malformed`);
    return parsed.data;
  }

  function threshold(): number {
    return readKeyfile()?.threshold ?? 0;
  }

  function unsealWith(unsealKey: Buffer): void {
    const keyfile = readKeyfile();
    if (!keyfile) throw new InvalidSharesError('The data directory is not initialised; run `chatvault init`');
    const opened = new Map<number, AeadKey>();
    try {
      for (const v of keyfile.versions) {
        const key = open(
          { id: UNSEAL_KEY_ID, key: unsealKey },
          Buffer.from(v.wrapped, 'base64'),
          rootAd(v.version),
        );
        opened.set(v.version, { id: v.version, key });
      }
    } catch (error) {
      for (const k of opened.values()) k.key.fill(0);
      if (error instanceof DecryptionError)
        throw new InvalidSharesError('These shares do not unseal this vault');
      throw error;
    }
    for (const k of roots.values()) k.key.fill(0);
    roots = opened;
    active = keyfile.active;
    if (heldUnsealKey !== unsealKey) {
      heldUnsealKey?.fill(0);
      heldUnsealKey = Buffer.from(unsealKey);
    }
  }

  /** Re-reads the keyfile when a root version appears that this process does not hold yet. */
  function reload(): void {
    if (heldUnsealKey) unsealWith(heldUnsealKey);
  }

  function writeKeyfile(keyfile: Keyfile): void {
    writePrivate(paths.keyfile, JSON.stringify(keyfile, null, 2) + '\n');
  }

  const provider = {
    kind: 'local' as const,
    isInitialized: () => fs.existsSync(paths.keyfile),
    isSealed: () => roots.size === 0,
    status(): UnsealProgress {
      return { sealed: roots.size === 0, received: pending.length, threshold: threshold() };
    },
    wrap(plaintext: Uint8Array, ad: Uint8Array): Buffer {
      const root = roots.get(active);
      if (!root) throw new SealedError();
      return seal(root, plaintext, ad);
    },
    unwrap(wrapped: Uint8Array, ad: Uint8Array): Buffer {
      if (roots.size === 0) throw new SealedError();
      const version = keyVersionOf(wrapped);
      if (!roots.has(version)) reload();
      const root = roots.get(version);
      if (!root) throw new DecryptionError(`Root key version ${version} is not held by this provider`);
      return open(root, wrapped, ad);
    },
    async submitShare(share: string): Promise<UnsealProgress> {
      if (roots.size > 0) return provider.status();
      const needed = threshold();
      if (needed === 0)
        throw new InvalidSharesError('The data directory is not initialised; run `chatvault init`');
      pending.push(share);
      if (pending.length < needed) return provider.status();
      const submitted = pending;
      pending = [];
      const unsealKey = await combineShares(submitted);
      try {
        unsealWith(unsealKey);
      } finally {
        unsealKey.fill(0);
      }
      fs.rmSync(paths.sealedMarker, { force: true });
      return provider.status();
    },
    resetUnseal() {
      pending = [];
    },
    forget() {
      for (const k of roots.values()) k.key.fill(0);
      roots = new Map();
      pending = [];
      heldUnsealKey?.fill(0);
      heldUnsealKey = undefined;
    },
    activeRootVersion(): number {
      if (roots.size === 0) throw new SealedError();
      const keyfile = readKeyfile();
      if (keyfile && keyfile.active !== active) reload();
      return active;
    },
    rootVersions() {
      const keyfile = readKeyfile();
      return (keyfile?.versions ?? []).map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        active: v.version === keyfile?.active,
      }));
    },
    rotateRoot(now: Date): number {
      if (!heldUnsealKey || roots.size === 0) throw new SealedError();
      reload();
      const keyfile = readKeyfile()!;
      const version = Math.max(...keyfile.versions.map((v) => v.version)) + 1;
      const rootKey = randomBytes(32);
      try {
        const wrapped = seal({ id: UNSEAL_KEY_ID, key: heldUnsealKey }, rootKey, rootAd(version));
        keyfile.versions.push({ version, wrapped: wrapped.toString('base64'), createdAt: now.toISOString() });
        keyfile.active = version;
        writeKeyfile(keyfile);
      } finally {
        rootKey.fill(0);
      }
      reload();
      return version;
    },
    destroyRootVersion(version: number): void {
      const keyfile = readKeyfile();
      if (!keyfile)
        throw new InvalidSharesError('The data directory is not initialised; run `chatvault init`');
      if (version === keyfile.active) throw new ConflictError('The active root version cannot be destroyed');
      keyfile.versions = keyfile.versions.filter((v) => v.version !== version);
      writeKeyfile(keyfile);
      roots.get(version)?.key.fill(0);
      roots.delete(version);
    },
    seal() {
      provider.forget();
      if (fs.existsSync(paths.dir)) writePrivate(paths.sealedMarker, new Date().toISOString() + '\n');
    },
    /**
     * Unseals from the local auto-unseal file, unless there is none or an operator sealed the vault
     * on purpose (then only shares may unseal it). Returns whether the vault is now unsealed.
     */
    autoUnseal(): boolean {
      if (roots.size > 0) return true;
      if (!fs.existsSync(paths.autoUnseal) || fs.existsSync(paths.sealedMarker)) return false;
      const unsealKey = Buffer.from(fs.readFileSync(paths.autoUnseal, 'utf8').trim(), 'base64');
      try {
        unsealWith(unsealKey);
      } finally {
        unsealKey.fill(0);
      }
      return true;
    },
  };
  return provider;
}
