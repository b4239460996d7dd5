/** A peer library set up to encrypt one field value, ready to be timed. */
export interface Peer {
  /** Encrypts the value once (with its blind index, where the peer has one). */
  readonly encryptOnce: () => Promise<unknown>;
  /** Bytes the stored ciphertext adds to the plaintext. */
  readonly overheadBytes: number;
}
