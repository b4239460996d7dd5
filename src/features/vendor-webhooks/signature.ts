import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'chatvault-signature';
/** Default replay window: a delivery older (or newer) than this is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, t: number, body: string | Uint8Array) =>
  createHmac('sha256', secret)
    .update(`${t}.`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');

/**
 * The `Chatvault-Signature` header of a delivery, like Stripe's: `t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, t + "." + body)>`.
 * @example signVendorWebhook(secret, body, new Date()) // 't=1767225600,v1=5f0c…'
 */
export function signVendorWebhook(secret: string, body: string | Uint8Array, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

/**
 * Verifies a delivery as a vendor should: the header parses, one `v1` signature matches the exact raw
 * body (constant-time), and `t` is within `toleranceSeconds` of `now`, so a replayed (old) delivery
 * fails. Returns false on any problem; never throws on bad input.
 * @example verifyVendorWebhook(secret, req.headers['chatvault-signature'], rawBody, new Date())
 */
export function verifyVendorWebhook(
  secret: string,
  header: string | undefined,
  body: string | Uint8Array,
  now: Date = new Date(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (typeof header !== 'string' || header.length > 1024) return false;
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) signatures.push(v);
  }
  if (t === undefined || signatures.length === 0) return false;
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, t, body), 'hex');
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
