import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** Purposes whose keys are 32-byte AES/HMAC secrets. */
export const SYMMETRIC_PURPOSES = ['data', 'index', 'restricted'] as const;
/** Purposes whose keys are asymmetric pairs: audit signs checkpoints (Ed25519), collect receives forms (P-256). */
export const ASYMMETRIC_PURPOSES = ['audit', 'collect'] as const;
export const KEY_PURPOSES = [...SYMMETRIC_PURPOSES, ...ASYMMETRIC_PURPOSES] as const;

export type SymmetricPurpose = (typeof SYMMETRIC_PURPOSES)[number];
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** Fresh key material for one purpose: the secret part (to be wrapped) and, for pairs, the public part. */
export function generateKeyMaterial(purpose: KeyPurpose): { secret: Buffer; publicKey: Buffer | null } {
  if (purpose === 'audit') {
    const pair = generateKeyPairSync('ed25519');
    return {
      secret: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
      publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }),
    };
  }
  if (purpose === 'collect') {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      secret: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
      publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }),
    };
  }
  return { secret: randomBytes(32), publicKey: null };
}
