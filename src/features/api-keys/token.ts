import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hkdf } from '../../lib/crypto/hkdf.ts';

const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';
const TOKEN = /^cv_(live|test)_([0-9a-z]{26})_([0-9a-z]{40})$/;

export const KEY_ENVS = ['live', 'test'] as const;
export type KeyEnv = (typeof KEY_ENVS)[number];

/** 40 base-32 characters: 200 bits of randomness. */
function secretPart(): string {
  const bytes = randomBytes(40);
  let out = '';
  for (const b of bytes) out += BASE32[b & 31];
  bytes.fill(0);
  return out;
}

/**
 * A new key: `cv_<env>_<id>_<secret>`. The prefix `cv_<env>_<id>` is what lists show and secret
 * scanners match; the secret is returned once and only its keyed hash is stored.
 */
export function newToken(env: KeyEnv, idTail: string): { token: string; prefix: string; secret: string } {
  const secret = secretPart();
  const prefix = `cv_${env}_${idTail}`;
  return { token: `${prefix}_${secret}`, prefix, secret };
}

/** The parts of a presented token, or undefined when it is not one of ours. */
export function parseToken(value: string): { env: KeyEnv; keyId: string; secret: string } | undefined {
  const m = TOKEN.exec(value);
  if (!m) return undefined;
  return { env: m[1] as KeyEnv, keyId: `ak_${m[2]!}`, secret: m[3]! };
}

/** HMAC-SHA256 of the secret under a key derived from the tenant `index` key, bound to the key id. */
export function hashSecret(indexKey: Uint8Array, keyId: string, secret: string): Buffer {
  const k = hkdf(indexKey, 'chatvault-api-key-v1');
  return createHmac('sha256', k).update(`${keyId}|${secret}`).digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
