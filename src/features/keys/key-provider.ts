/** Progress of a share-by-share unseal (Vault semantics: shares may arrive one at a time). */
export interface UnsealProgress {
  readonly sealed: boolean;
  readonly received: number;
  readonly threshold: number;
}

/**
 * Holds the root key. Everything below it (tenant keys) is wrapped and unwrapped through here, so an
 * HSM-backed provider never has to reveal the root key to the process.
 */
export interface KeyProvider {
  readonly kind: 'local' | 'pkcs11';
  isInitialized(): boolean;
  isSealed(): boolean;
  /** Seals `plaintext` under the active root key version, bound to `ad`. Throws SealedError when sealed. */
  wrap(plaintext: Uint8Array, ad: Uint8Array): Buffer;
  /** Opens a blob produced by `wrap` with any still-held root version. Throws SealedError / DecryptionError. */
  unwrap(wrapped: Uint8Array, ad: Uint8Array): Buffer;
  /** Adds one unseal share; unseals when the threshold is reached. Throws InvalidSharesError on a bad set. */
  submitShare(share: string): Promise<UnsealProgress>;
  /** Forgets partially submitted shares. */
  resetUnseal(): void;
  /** Drops and zeroes every key in memory and records that the vault was sealed on purpose, so that
   * auto-unseal stays off until someone unseals with shares. */
  seal(): void;
  /** Drops and zeroes every key in memory (process shutdown); not a seal. */
  forget(): void;
  status(): UnsealProgress;
  /** The root version new wraps use; throws SealedError when sealed. */
  activeRootVersion(): number;
  /** Every root version this provider knows (readable while sealed). */
  rootVersions(): RootVersion[];
  /**
   * Providers that unseal without shares (pkcs11) demand k Shamir recovery shares before a root
   * rotation: valid shares allow the next `rotateRoot` once; bad or too few throw InvalidSharesError.
   */
  authorizeRootRotation?(shares: readonly string[]): Promise<void>;
  /** Creates a new root version and makes it active; the old ones still unwrap. Needs an unsealed vault. */
  rotateRoot(now: Date): number;
  /** Destroys an old root version for good (trim); never the active one. */
  destroyRootVersion(version: number): void;
}

export interface RootVersion {
  readonly version: number;
  readonly createdAt: string;
  readonly active: boolean;
}
