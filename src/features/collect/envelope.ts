import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { z } from 'zod';
import { DecryptionError } from '../../lib/errors.ts';

/**
 * What the browser sends: an ECIES envelope over the tenant `collect` P-256 key. The browser makes an
 * ephemeral P-256 pair, ECDH with the tenant public key, HKDF-SHA256 (salt = ephemeral public key,
 * info = `chatvault-collect-v1|<link id>`) → AES-256-GCM key; the same info string is the GCM
 * additional data, so an envelope moved to another link does not open.
 */
export const envelopeSchema = z
  .object({
    v: z.literal(1),
    /** Version of the tenant `collect` key the browser encrypted to. */
    kv: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31),
    /** Ephemeral public key, uncompressed point (65 bytes), base64. */
    epk: z.string().regex(/^[A-Za-z0-9+/]{86}[A-Za-z0-9+/=]{2}$/),
    iv: z.string().regex(/^[A-Za-z0-9+/]{16}$/),
    /** AES-GCM output (ciphertext | 16-byte tag), base64, at most ~16 KiB. */
    ct: z
      .string()
      .min(24)
      .max(22_000)
      .regex(/^[A-Za-z0-9+/]+=*$/),
  })
  .strict();
export type Envelope = z.infer<typeof envelopeSchema>;

export const envelopeInfo = (linkId: string) => `chatvault-collect-v1|${linkId}`;

function rawPointToKey(raw: Buffer): KeyObject {
  if (raw.length !== 65 || raw[0] !== 4) throw new DecryptionError();
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}

function aesKey(shared: Buffer, epk: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, epk, Buffer.from(info), 32));
}

/** Opens an envelope with the tenant's collect private key; any mismatch is a DecryptionError. */
export function openEnvelope(privateKey: KeyObject, linkId: string, envelope: Envelope): Buffer {
  const epk = Buffer.from(envelope.epk, 'base64');
  const info = envelopeInfo(linkId);
  let key: Buffer | undefined;
  try {
    const shared = diffieHellman({ privateKey, publicKey: rawPointToKey(epk) });
    key = aesKey(shared, epk, info);
    shared.fill(0);
    const data = Buffer.from(envelope.ct, 'base64');
    if (data.length < 17) throw new DecryptionError();
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(Buffer.from(info));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
  } catch {
    throw new DecryptionError();
  } finally {
    key?.fill(0);
  }
}

/**
 * The browser's encryption, in node (the CLI, tests and benches use it; the page does the same with
 * WebCrypto in `public/collect.js`).
 */
export function sealEnvelope(
  publicKeySpki: Buffer,
  keyVersion: number,
  linkId: string,
  plaintext: Buffer,
): Envelope {
  const eph = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = eph.publicKey.export({ format: 'jwk' });
  const epk = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  const publicKey = createPublicKey({ key: publicKeySpki, format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey });
  const info = envelopeInfo(linkId);
  const key = aesKey(shared, epk, info);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(info));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  key.fill(0);
  return {
    v: 1,
    kv: keyVersion,
    epk: epk.toString('base64'),
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
  };
}
