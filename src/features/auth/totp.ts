import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { associatedData, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';

/** RFC 6238 with the parameters every authenticator app understands: SHA1, 6 digits, 30 s. */
const PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** ±1 step of clock drift (RFC 6238 §5.2); a code 90 s off is refused. */
const WINDOW = 1;

export const TOTP_CODE = /^\d{6}$/;

/** A fresh 160-bit seed (RFC 4226 recommends 160). */
export function newTotpSeed(): Buffer {
  return randomBytes(20);
}

/** What an authenticator app scans or types: the `otpauth://` URI and the base32 secret. */
export function totpProvisioning(seed: Uint8Array, issuer: string, label: string) {
  const secret = new OTPAuth.Secret({ buffer: toArrayBuffer(seed) });
  const totp = new OTPAuth.TOTP({ ...PARAMS, issuer, label, secret });
  return { uri: totp.toString(), secret: secret.base32 };
}

/**
 * The time step a code belongs to (within ±1 step of `now`), or null when it matches none. Callers
 * must still accept a step only if it is later than the last accepted one (replay protection).
 */
export function totpStep(seed: Uint8Array, code: string, now: Date): number | null {
  if (!TOTP_CODE.test(code)) return null;
  const secret = new OTPAuth.Secret({ buffer: toArrayBuffer(seed) });
  const timestamp = now.getTime();
  const delta = OTPAuth.TOTP.validate({ ...PARAMS, token: code, secret, timestamp, window: WINDOW });
  if (delta === null) return null;
  return OTPAuth.TOTP.counter({ period: PARAMS.period, timestamp }) + delta;
}

/** The code an authenticator app shows at `now` (tests and the benchmark play the app). */
export function totpCode(seed: Uint8Array, now: Date): string {
  const secret = new OTPAuth.Secret({ buffer: toArrayBuffer(seed) });
  return OTPAuth.TOTP.generate({ ...PARAMS, secret, timestamp: now.getTime() });
}

/** Parses the base32 secret an enrollment answer showed (what a person types into an app). */
export function seedFromBase32(base32: string): Buffer {
  return Buffer.from(OTPAuth.Secret.fromBase32(base32).bytes);
}

const seedAd = (tenantId: string, operatorId: string) =>
  associatedData(tenantId, 'auth_totp', 'seed', operatorId);

/** Seeds are sealed under the tenant `restricted` key and bound to their operator's row. */
export function sealSeed(key: AeadKey, seed: Uint8Array, tenantId: string, operatorId: string): Buffer {
  return seal(key, seed, seedAd(tenantId, operatorId));
}

export function openSeed(key: AeadKey, sealed: Uint8Array, tenantId: string, operatorId: string): Buffer {
  return open(key, sealed, seedAd(tenantId, operatorId));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
