import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { DecryptionError } from '../../lib/errors.ts';

const MAGIC = Buffer.from('CVDSR1\n', 'ascii');
const SALT = 16;
const NONCE = 12;
const TAG = 16;
/** scrypt cost: ~50 ms and 32 MiB per attempt, so a leaked archive resists guessing even a weak copy. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** A passphrase of 120 random bits in groups people can read out: `xxxxx-xxxxx-…` (base32). */
export function newPassphrase(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(24);
  let out = '';
  for (let i = 0; i < 24; i++) out += alphabet[bytes[i]! & 31];
  return out.match(/.{1,6}/g)!.join('-');
}

/**
 * Seals a data-subject archive (a JSON document) for delivery: scrypt(passphrase) → AES-256-GCM.
 * Bytes: `CVDSR1\n | salt (16) | nonce (12) | ciphertext | tag (16)`; the header is the AD.
 * @example const file = sealArchive(Buffer.from(JSON.stringify(doc)), passphrase);
 */
export function sealArchive(plaintext: Buffer, passphrase: string): Buffer {
  const salt = randomBytes(SALT);
  const nonce = randomBytes(NONCE);
  const key = scryptSync(passphrase.normalize('NFKC'), salt, 32, SCRYPT);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.concat([MAGIC, salt, nonce]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([MAGIC, salt, nonce, body, cipher.getAuthTag()]);
  } finally {
    key.fill(0);
  }
}

/** Opens an archive sealed by {@link sealArchive}; a wrong passphrase or a changed byte throws. */
export function openArchive(sealed: Buffer, passphrase: string): Buffer {
  const head = MAGIC.length + SALT + NONCE;
  if (sealed.length < head + TAG || !sealed.subarray(0, MAGIC.length).equals(MAGIC))
    throw new DecryptionError();
  const salt = sealed.subarray(MAGIC.length, MAGIC.length + SALT);
  const nonce = sealed.subarray(MAGIC.length + SALT, head);
  const key = scryptSync(passphrase.normalize('NFKC'), salt, 32, SCRYPT);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(sealed.subarray(0, head));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([decipher.update(sealed.subarray(head, sealed.length - TAG)), decipher.final()]);
  } catch {
    throw new DecryptionError();
  } finally {
    key.fill(0);
  }
}
