import { hkdfSync } from 'node:crypto';

const EMPTY = new Uint8Array(0);

/**
 * HKDF-SHA256 (RFC 5869): derives `length` bytes from `ikm`, separated by `info`.
 * Node limits `info` to 1024 bytes and `length` to 255 × 32 bytes.
 * @example const indexKey = hkdf(tenantIndexKey, 'contacts|phone|full');
 */
export function hkdf(
  ikm: Uint8Array,
  info: string | Uint8Array,
  length = 32,
  salt: Uint8Array = EMPTY,
): Buffer {
  const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : info;
  return Buffer.from(hkdfSync('sha256', ikm, salt, infoBytes, length));
}
