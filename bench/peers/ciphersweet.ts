// ciphersweet-js: one encrypted field with one blind index, StringProvider key, either backend:
// `modern` (XChaCha20-Poly1305 + BLAKE2b via sodium-native, its fastest) or `fips` (AES-256-CTR +
// HMAC-SHA384). Its blind index is, by default, a slow hash (Argon2id / PBKDF2 rounds, tens of ops/s);
// `fastHash` makes it one keyed hash like ours. The bench reports both.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type * as CipherSweet from 'ciphersweet-js';
import type { Peer } from './peer.ts';

// The package is CommonJS without statically detectable named exports.
const cs = createRequire(import.meta.url)('ciphersweet-js') as typeof CipherSweet;

/** `prepareForStorage` (ciphertext + blind index) of `plaintext` bound to `aad`. */
export async function ciphersweetPeer(
  backend: 'modern' | 'fips',
  plaintext: string,
  aad: string,
  blindIndexHash: 'fast' | 'default' = 'fast',
): Promise<Peer> {
  const engine = new cs.CipherSweet(
    new cs.StringProvider(randomBytes(32).toString('hex')),
    backend === 'modern' ? new cs.ModernCrypto() : new cs.FIPSCrypto(),
  );
  const field = new cs.EncryptedField(engine, 'contacts', 'phone');
  field.addBlindIndex(new cs.BlindIndex('phone_full', [], 16, blindIndexHash === 'fast'));
  const [ciphertext] = await field.prepareForStorage(plaintext, aad);
  return {
    encryptOnce: () => field.prepareForStorage(plaintext, aad),
    overheadBytes: Buffer.byteLength(ciphertext) - Buffer.byteLength(plaintext),
  };
}
