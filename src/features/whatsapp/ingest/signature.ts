import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks Meta's `X-Hub-Signature-256` (`sha256=<hex>`) over the exact request bytes, in constant time.
 * Any re-serialisation of the body breaks it, by design.
 */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', appSecret).update(rawBody).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length).toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'chatvault-compare').update(a).digest();
  const hb = createHmac('sha256', 'chatvault-compare').update(b).digest();
  return timingSafeEqual(ha, hb);
}
