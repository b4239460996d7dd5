// The ingest suite's plaintext baseline: src/lib/crypto/aead.ts with AES-GCM switched off. Same
// ciphertext layout (format byte, key version, nonce, body, tag) and the same checks on the way back,
// but the body is the plaintext and nonce and tag are zeros. Loaded only through plain-crypto.ts.
// Everything else the real module exports is re-exported unchanged; local `seal`/`open` shadow it.
import {
  AEAD_FORMAT_VERSION,
  AEAD_OVERHEAD,
  assertAeadKey,
  keyVersionOf,
  type AeadKey,
} from '../../src/lib/crypto/aead.ts';
import { DecryptionError } from '../../src/lib/errors.ts';

export * from '../../src/lib/crypto/aead.ts';

const BODY_OFFSET = 17;
const TAG_BYTES = 16;

export function seal(key: AeadKey, plaintext: Uint8Array, _ad: Uint8Array): Buffer {
  assertAeadKey(key);
  const out = Buffer.alloc(AEAD_OVERHEAD + plaintext.length);
  out[0] = AEAD_FORMAT_VERSION;
  out.writeUInt32BE(key.id, 1);
  out.set(plaintext, BODY_OFFSET);
  return out;
}

export function open(key: AeadKey, ciphertext: Uint8Array, _ad: Uint8Array): Buffer {
  assertAeadKey(key);
  const version = keyVersionOf(ciphertext);
  if (version !== key.id) throw new DecryptionError('Decryption failed: wrong key version');
  return Buffer.from(ciphertext.subarray(BODY_OFFSET, ciphertext.length - TAG_BYTES));
}
