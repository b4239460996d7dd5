import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { InvalidSharesError, ValidationError } from '../errors.ts';

// Share format (one printable line, case-insensitive):
//   cvs1-<set id: 8 hex>-<threshold: decimal>-<body: base32>-<crc: 4 hex>
// body  = the shamir-secret-sharing share of (secret | first 8 bytes of SHA-256(secret)); its last
//         byte is the share's x coordinate. Base32 uses Crockford's alphabet (no i, l, o, u) in
//         lower case, without padding.
// crc   = CRC-16/CCITT-FALSE over the ASCII of everything before the last '-'. It catches every
//         single-character typo; the secret checksum catches wrong or forged share sets after combining.

const PREFIX = 'cvs1';
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CHECKSUM_BYTES = 8;
const SHARE_PATTERN = /^cvs1-([0-9a-f]{8})-([0-9]{1,3})-([0-9a-hjkmnp-tv-z]+)-([0-9a-f]{4})$/;

interface ParsedShare {
  readonly setId: string;
  readonly threshold: number;
  readonly body: Uint8Array;
}

function crc16(text: string): string {
  let crc = 0xffff;
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i) << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).padStart(4, '0');
}

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of text) {
    buffer = ((buffer << 5) | ALPHABET.indexOf(char)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  // Reject non-canonical encodings (leftover bits set, or a length no byte count produces).
  return base32Encode(out) === text ? out : undefined;
}

function checksum(secret: Uint8Array): Buffer {
  return createHash('sha256').update(secret).digest().subarray(0, CHECKSUM_BYTES);
}

function parseShare(share: string): ParsedShare | undefined {
  const text = share.trim().toLowerCase();
  const match = SHARE_PATTERN.exec(text);
  if (!match) return undefined;
  const [, setId, thresholdText, bodyText, crc] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (crc16(text.slice(0, text.lastIndexOf('-'))) !== crc) return undefined;
  const threshold = Number(thresholdText);
  const body = base32Decode(bodyText);
  // A body holds at least 1 secret byte, the checksum and a non-zero x coordinate.
  if (threshold < 2 || threshold > 255 || !body || body.length < CHECKSUM_BYTES + 2 || body.at(-1) === 0) {
    return undefined;
  }
  return { setId, threshold, body };
}

/**
 * Splits `secret` into `shares` printable shares, any `threshold` of which recover it
 * (2 ≤ threshold ≤ shares ≤ 255). See the format comment at the top of this file.
 * @example const lines = await splitSecret(unsealKey, 5, 3) // ['cvs1-1f0c93a2-3-…-4b1e', …]
 */
export async function splitSecret(secret: Uint8Array, shares: number, threshold: number): Promise<string[]> {
  if (secret.length < 1 || secret.length > 1024) throw new ValidationError('secret must be 1 to 1024 bytes');
  if (
    !Number.isInteger(shares) ||
    !Number.isInteger(threshold) ||
    threshold < 2 ||
    threshold > shares ||
    shares > 255
  ) {
    throw new ValidationError('shares and threshold must satisfy 2 <= threshold <= shares <= 255');
  }
  const extended = new Uint8Array(secret.length + CHECKSUM_BYTES);
  extended.set(secret);
  extended.set(checksum(secret), secret.length);
  const bodies = await split(extended, shares, threshold);
  extended.fill(0);
  const setId = randomBytes(4).toString('hex');
  return bodies.map((body) => {
    const text = `${PREFIX}-${setId}-${threshold}-${base32Encode(body)}`;
    body.fill(0);
    return `${text}-${crc16(text)}`;
  });
}

/**
 * Recovers the secret from at least `threshold` shares made by {@link splitSecret}. Throws
 * InvalidSharesError with a one-line reason (never the share contents): a malformed or mistyped
 * share, shares from different sets, duplicates, too few shares, or a wrong share set.
 */
export async function combineShares(shares: string[]): Promise<Buffer> {
  if (shares.length === 0) throw new InvalidSharesError('no shares were given');
  const parsed: ParsedShare[] = [];
  for (const [i, share] of shares.entries()) {
    const one = parseShare(share);
    if (!one)
      throw new InvalidSharesError(`share ${i + 1} is malformed or mistyped (its checksum does not match)`);
    parsed.push(one);
  }
  const first = parsed[0]!;
  const seen = new Map<number, number>();
  for (const [i, share] of parsed.entries()) {
    if (
      share.setId !== first.setId ||
      share.threshold !== first.threshold ||
      share.body.length !== first.body.length
    ) {
      throw new InvalidSharesError(`share ${i + 1} comes from a different set than share 1`);
    }
    const x = share.body.at(-1)!;
    const earlier = seen.get(x);
    if (earlier !== undefined)
      throw new InvalidSharesError(`share ${i + 1} is a duplicate of share ${earlier}`);
    seen.set(x, i + 1);
  }
  if (parsed.length < first.threshold) {
    throw new InvalidSharesError(`at least ${first.threshold} shares are needed, ${parsed.length} given`);
  }
  const extended = Buffer.from(await combine(parsed.map((share) => share.body)));
  const secret = extended.subarray(0, extended.length - CHECKSUM_BYTES);
  const ok = timingSafeEqual(checksum(secret), extended.subarray(secret.length));
  const result = ok ? Buffer.from(secret) : undefined;
  extended.fill(0);
  if (!result) throw new InvalidSharesError('the shares do not recover a valid secret (wrong share set)');
  return result;
}
