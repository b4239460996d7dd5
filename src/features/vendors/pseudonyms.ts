import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { hkdf } from '../../lib/crypto/hkdf.ts';
import type { Keyring } from '../keys/keyring.ts';

/** The two secrets of one vendor: `mac` makes pseudonyms and synthetic IVs, `enc` hides handles. */
export interface VendorKeys {
  readonly mac: Buffer;
  readonly enc: Buffer;
}

const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';
const IV_BYTES = 12;

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * A vendor's keys: HKDF of the tenant `index` key (the pinned `version`) with the vendor id, so every
 * vendor has its own keys and two vendors' pseudonyms cannot be joined.
 */
export async function vendorKeys(
  keyring: Pick<Keyring, 'tenantKey'>,
  tenantId: string,
  vendorId: string,
  version: number,
): Promise<VendorKeys> {
  const base = await keyring.tenantKey(tenantId, 'index', version);
  const okm = hkdf(base.key, `chatvault-vendor-pseudonym-v1|${vendorId}`, 64);
  return { mac: okm.subarray(0, 32), enc: okm.subarray(32) };
}

/**
 * A stable per-vendor pseudonym of one field of one customer: `psn_` + 128 bits of
 * HMAC-SHA256(vendor key, field | contact id). It reveals nothing without the key.
 * @example pseudonym(keys, 'phone', 'ct_…') // 'psn_3k…'
 */
export function pseudonym(keys: VendorKeys, field: string, contactId: string): string {
  return `psn_${base32(createHmac('sha256', keys.mac).update(`${field}|${contactId}`).digest().subarray(0, 16))}`;
}

function keystream(keys: VendorKeys, iv: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-ctr', keys.enc, Buffer.concat([iv, Buffer.alloc(4)]));
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function syntheticIv(keys: VendorKeys, id: string): Buffer {
  return createHmac('sha256', keys.mac).update(`handle|${id}`).digest().subarray(0, IV_BYTES);
}

/**
 * An opaque, stable per-vendor handle for an internal id (contact, conversation, message):
 * deterministic authenticated encryption (SIV: the IV is an HMAC of the id, the id is AES-CTR
 * encrypted under it), so only we can map it back and two vendors see unrelated handles.
 */
export function toHandle(keys: VendorKeys, id: string): string {
  const iv = syntheticIv(keys, id);
  return `pid_${Buffer.concat([iv, keystream(keys, iv, Buffer.from(id, 'utf8'))]).toString('base64url')}`;
}

/** The internal id behind a handle, if it is genuine and names a `prefix` id; undefined otherwise. */
export function fromHandle(keys: VendorKeys, handle: string, prefix: string): string | undefined {
  if (!/^pid_[A-Za-z0-9_-]{20,120}$/.test(handle)) return undefined;
  const raw = Buffer.from(handle.slice(4), 'base64url');
  if (raw.length <= IV_BYTES) return undefined;
  const iv = raw.subarray(0, IV_BYTES);
  const id = keystream(keys, iv, raw.subarray(IV_BYTES)).toString('utf8');
  const expected = syntheticIv(keys, id);
  if (!timingSafeEqual(iv, expected) || !id.startsWith(`${prefix}_`)) return undefined;
  return id;
}
