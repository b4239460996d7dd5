import { createHmac, randomInt } from 'node:crypto';
import { hkdf } from '../../lib/crypto/hkdf.ts';

/** Crockford base32: no I, L, O or U, so codes survive being read aloud or written down. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_COUNT = 10;
/** 25 symbols × 5 bits = 125 bits: above NIST's 112-bit bar for look-up secrets stored as plain hashes. */
const SYMBOLS = 25;
const GROUP = 5;

/** Ten fresh codes, formatted `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, from the CSPRNG. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let raw = '';
    for (let i = 0; i < SYMBOLS; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
    return raw.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
  });
}

/** What a person may type: any case, spaces or dashes, and the usual look-alikes (O→0, I/L→1). */
export function normalizeRecoveryCode(input: string): string | undefined {
  const raw = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (raw.length !== SYMBOLS) return undefined;
  for (const ch of raw) if (!ALPHABET.includes(ch)) return undefined;
  return raw;
}

/** The recovery-code HMAC key: HKDF of the tenant `restricted` key; never stored. */
export function recoveryCodeKey(restrictedKey: Uint8Array): Buffer {
  return hkdf(restrictedKey, 'chatvault-auth-v1|recovery-codes');
}

/** Keyed hash of one normalised code, bound to its operator (a copied hash is useless elsewhere). */
export function hashRecoveryCode(key: Uint8Array, tenantId: string, operatorId: string, code: string) {
  return createHmac('sha256', key).update(`${tenantId}|${operatorId}|${code}`, 'utf8').digest();
}
