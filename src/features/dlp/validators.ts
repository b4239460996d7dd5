/**
 * Check-digit and range validation for the number-shaped detectors. Every function takes digit values
 * (0–9, 10 for a trailing `X`) from `from` to `to` of a shared buffer, so the scanner never builds
 * strings for candidates that fail.
 */

/** Luhn (mod 10) over digits[from, to). */
export function luhnValid(d: Uint8Array, from: number, to: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = to - 1; i >= from; i--) {
    let v = d[i]!;
    if (v > 9) return false;
    if (double) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    double = !double;
  }
  return sum % 10 === 0;
}

function prefix(d: Uint8Array, from: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 10 + d[from + i]!;
  return v;
}

/** Payment card networks recognised by issuer range (IIN) and length. */
export type CardNetwork =
  'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'unionpay' | 'diners' | 'mir' | 'maestro';

/**
 * The card network whose issuer range and length the number fits, or null. Ranges: Visa 4 (13, 16,
 * 19); Mastercard 51–55 and 2221–2720 (16); Amex 34, 37 (15); Discover 6011, 644–649, 65 (16–19);
 * JCB 3528–3589 (16–19); UnionPay 62 (16–19) and 81 (16); Diners 300–305, 36, 38–39 (14–19);
 * Mir 2200–2204 (16–19); Maestro 50, 56–58, 63, 67 (12–19).
 */
export function cardNetwork(d: Uint8Array, from: number, to: number): CardNetwork | null {
  const len = to - from;
  if (len < 12 || len > 19) return null;
  const p1 = d[from]!;
  const p2 = prefix(d, from, 2);
  const p3 = prefix(d, from, 3);
  const p4 = prefix(d, from, 4);
  if (p1 === 4) return len === 13 || len === 16 || len === 19 ? 'visa' : null;
  if (p2 >= 51 && p2 <= 55) return len === 16 ? 'mastercard' : null;
  if (p4 >= 2221 && p4 <= 2720) return len === 16 ? 'mastercard' : null;
  if (p4 >= 2200 && p4 <= 2204) return len >= 16 ? 'mir' : null;
  if (p2 === 34 || p2 === 37) return len === 15 ? 'amex' : null;
  if (p2 === 62) return len >= 16 ? 'unionpay' : null;
  if (p2 === 81) return len === 16 ? 'unionpay' : null;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return len >= 16 ? 'discover' : null;
  if (p4 >= 3528 && p4 <= 3589) return len >= 16 ? 'jcb' : null;
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return len >= 14 ? 'diners' : null;
  if (p2 === 50 || (p2 >= 56 && p2 <= 58) || p2 === 63 || p2 === 67) return 'maestro';
  return null;
}

/** Provinces (first two digits) of GB 11643 resident identity numbers. */
const CN_PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65, 71, 81, 82, 83, 91,
]);
const CN_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_CHECK = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2];
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * An 18-character Chinese resident identity number (GB 11643-1999): a plausible region (known
 * province, county part not 0000), a real birth date between 1900 and `maxYear`, and the ISO 7064
 * MOD 11-2 check character (10 = X).
 */
export function cnIdValid(d: Uint8Array, from: number, maxYear: number): boolean {
  for (let i = from; i < from + 17; i++) if (d[i]! > 9) return false;
  if (!CN_PROVINCES.has(prefix(d, from, 2))) return false;
  if (prefix(d, from + 2, 4) === 0) return false;
  const year = prefix(d, from + 6, 4);
  const month = prefix(d, from + 10, 2);
  const day = prefix(d, from + 12, 2);
  if (year < 1900 || year > maxYear || month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!)
    return false;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += d[from + i]! * CN_WEIGHTS[i]!;
  return CN_CHECK[sum % 11] === d[from + 17];
}

/**
 * A 15-digit Chinese resident identity number of the first generation (GB 11643-1989, issued until
 * 2004 and still found in older records): a plausible region (known province, county part not 0000),
 * a real birth date `19YYMMDD`, and a 3-digit sequence. It has no check digit, so the scanner only
 * accepts one after an ID word (see `CONTEXT.id`).
 */
export function cnOldIdValid(d: Uint8Array, from: number): boolean {
  for (let i = from; i < from + 15; i++) if (d[i]! > 9) return false;
  if (!CN_PROVINCES.has(prefix(d, from, 2))) return false;
  if (prefix(d, from + 2, 4) === 0) return false;
  const year = 1900 + prefix(d, from + 6, 2);
  const month = prefix(d, from + 8, 2);
  const day = prefix(d, from + 10, 2);
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!) return false;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false;
  return prefix(d, from + 12, 3) !== 0;
}

/** IBAN lengths by country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/**
 * ISO 13616 check: the characters (upper-case letters and digits, no separators) moved four to the
 * right and read as a base-36 number are ≡ 1 (mod 97). Computed digit by digit, no big integers.
 */
export function ibanValid(chars: string): boolean {
  const len = IBAN_LENGTHS[chars.slice(0, 2)];
  if (len === undefined || chars.length !== len) return false;
  let rem = 0;
  for (let k = 0; k < len; k++) {
    const c = chars.charCodeAt((k + 4) % len);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}
