// ciphersweet-js: one encrypted field with one blind index, FIPSCrypto backend (AES-256-CTR +
// HMAC-SHA384, the closest to AES-GCM), StringProvider key. The blind index uses `fastHash` (one
// PBKDF2-SHA384 round, about one HMAC) so it does the same work as ours; the default slow hash
// (50,000 PBKDF2 rounds) would make the comparison meaningless.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { opsPerSecondAsync } from '../lib/timing.ts';
import type { PeerResult } from './peer.ts';

// The package is CommonJS without statically detectable named exports.
const cs = createRequire(import.meta.url)('ciphersweet-js') as typeof import('ciphersweet-js');

/** Measures `prepareForStorage` (ciphertext + blind index) of `plaintext` bound to `aad`. */
export async function ciphersweetPeer(plaintext: string, aad: string, minMs = 2000): Promise<PeerResult> {
  const engine = new cs.CipherSweet(new cs.StringProvider(randomBytes(32).toString('hex')), new cs.FIPSCrypto());
  const field = new cs.EncryptedField(engine, 'contacts', 'phone');
  field.addBlindIndex(new cs.BlindIndex('phone_full', [], 16, true));
  const [ciphertext] = await field.prepareForStorage(plaintext, aad);
  const opsPerSecond = await opsPerSecondAsync(() => field.prepareForStorage(plaintext, aad), { minMs });
  return { opsPerSecond, overheadBytes: Buffer.byteLength(ciphertext) - Buffer.byteLength(plaintext) };
}
