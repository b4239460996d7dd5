import { createHmac } from 'node:crypto';
import { ValidationError } from '../errors.ts';

/** Input keyspace of a last-4-digits index: log2(10^4) ≈ 13.29 bits. */
export const LAST4_KEYSPACE_BITS = Math.log2(10_000);
/** Largest row count whose total index bits still fit one 32-bit index. */
export const MAX_EXPECTED_ROWS = 2 ** 34 - 1;

const LAST4_MAX_BITS = 13;

/**
 * Total bits all indexes on one field may use for R expected rows: the largest T with R/2^T ≥ 2
 * (CipherSweet's rule 2 ≤ C < √R, C = R / 2^T). Throws a RangeError if no T satisfies both bounds
 * (R too small: below 8 rows) or if R exceeds {@link MAX_EXPECTED_ROWS}.
 * @example totalIndexBits(1_000_000) // 18: about 3.8 candidate rows per lookup
 */
export function totalIndexBits(expectedRows: number): number {
  if (!Number.isSafeInteger(expectedRows) || expectedRows < 1 || expectedRows > MAX_EXPECTED_ROWS) {
    throw new RangeError(`expected rows must be an integer between 1 and ${MAX_EXPECTED_ROWS}`);
  }
  let bits = 0;
  while (expectedRows / 2 ** (bits + 1) >= 2) bits++;
  const candidates = expectedRows / 2 ** bits;
  if (bits < 1 || candidates >= Math.sqrt(expectedRows)) {
    throw new RangeError(`no blind-index size satisfies 2 <= C < sqrt(R) for ${expectedRows} expected rows`);
  }
  return bits;
}

/**
 * Phone field plan: a full-number index and a last-4-digits index (keyspace log2(10^4) ≈ 13.29 bits)
 * whose bits together satisfy the rule; last4 = min(13, ceil(T/2)), full = T - last4. Exact-phone
 * lookups query both columns, so candidates ≈ C.
 * @example planPhoneIndexes(1_000_000) // { fullBits: 9, last4Bits: 9 }
 */
export function planPhoneIndexes(expectedRows: number): { fullBits: number; last4Bits: number } {
  const total = totalIndexBits(expectedRows);
  const last4Bits = Math.min(LAST4_MAX_BITS, Math.ceil(total / 2));
  return { fullBits: total - last4Bits, last4Bits };
}

/**
 * Expected false-positive candidates per lookup, C = R / 2^(Σ bits), where each entry of `bits` is
 * already min(index bits, input keyspace bits).
 */
export function coincidences(expectedRows: number, bits: number[]): number {
  let sum = 0;
  for (const b of bits) {
    if (!(b >= 0)) throw new RangeError('index bits must be non-negative numbers');
    sum += b;
  }
  return expectedRows / 2 ** sum;
}

/**
 * HMAC-SHA256(key, value) truncated to the first `bits` bits (1..32) as an unsigned integer.
 * `value` must already be normalised (E.164 phone, NFKC lower-cased email, …).
 */
export function blindIndex(key: Uint8Array, value: string, bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError('bits must be 1..32');
  const mac = createHmac('sha256', key).update(value, 'utf8').digest();
  // `>>> 0` when bits = 32 keeps the value unsigned (JS shifts count mod 32).
  return mac.readUInt32BE(0) >>> (32 - bits);
}

/** The last four digits of a phone number (non-digits ignored); throws if it has fewer than 4 digits. */
export function lastFourDigits(e164: string): string {
  let digits = '';
  for (let i = e164.length - 1; i >= 0 && digits.length < 4; i--) {
    const c = e164.charCodeAt(i);
    if (c >= 48 && c <= 57) digits = e164[i]! + digits;
  }
  if (digits.length < 4) throw new ValidationError('phone number has fewer than 4 digits');
  return digits;
}
