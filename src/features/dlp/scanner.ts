import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { CONTEXT, contextBefore } from './context.ts';
import { IBAN_LENGTHS, cardNetwork, cnIdValid, cnOldIdValid, ibanValid, luhnValid } from './validators.ts';

export type FindingKind = 'card' | 'cn_id' | 'iban' | 'bank_account' | 'passport' | 'email' | 'phone';

/**
 * One piece of sensitive data. `start`/`end` are UTF-16 code-unit offsets into the ORIGINAL text
 * (`text.slice(start, end)` is the match as written, full-width digits and separators included).
 */
export interface Finding {
  readonly kind: FindingKind;
  readonly start: number;
  readonly end: number;
  /** 0..1: validated numbers ≥ 0.9; context-dependent kinds (bank account, passport) lower. */
  readonly confidence: number;
}

const MAX_DIGITS = 40;
const MAX_GROUPS = 16;

/** 0–9 for ASCII and full-width digits, -1 otherwise. */
function digitOf(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 0xff10 && c <= 0xff19) return c - 0xff10;
  return -1;
}

/** Separators allowed between digit groups: spaces, dashes, dots, parentheses, full-width and typographic forms. */
function isSep(c: number): boolean {
  return (
    c === 0x20 ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0xa0 ||
    c === 0x3000 ||
    c === 0xff0d ||
    c === 0xff0e ||
    c === 0x2009 ||
    c === 0x202f ||
    c === 0x2212 ||
    c === 0x28 ||
    c === 0x29 ||
    (c >= 0x2010 && c <= 0x2015)
  );
}

/** Letters and digits (ASCII and full-width) and `_`: a number touching one is part of a longer token. */
function isWord(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 ||
    (c >= 0xff10 && c <= 0xff19) ||
    (c >= 0xff21 && c <= 0xff3a) ||
    (c >= 0xff41 && c <= 0xff5a)
  );
}

const isUpper = (c: number) => c >= 65 && c <= 90;
const isX = (c: number) => c === 88 || c === 120 || c === 0xff38 || c === 0xff58;
const isPlus = (c: number) => c === 43 || c === 0xff0b;
const isEmailLocal = (c: number) =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 46 ||
  c === 95 ||
  c === 37 ||
  c === 43 ||
  c === 45;
const isDomain = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;

/** Scanner options: `maxBirthYear` bounds resident-ID birth dates (default: the current year). */
export interface ScanOptions {
  readonly maxBirthYear?: number;
}

/**
 * Finds sensitive data in one pass over `text` without regular expressions: digit runs (ASCII or
 * full-width, groups joined by up to two separators) are validated as resident IDs, cards, phones,
 * bank accounts and passports; upper-case tokens as IBANs and passports; `@` as e-mail addresses.
 * Linear in the length of the text; candidates are validated in O(groups²) windows.
 *
 * @example scan('card 4242 4242 4242 4242') // [{ kind: 'card', start: 5, end: 24, confidence: 0.99 }]
 */
export function scan(text: string, options: ScanOptions = {}): Finding[] {
  maxYear = options.maxBirthYear ?? 0;
  T = text;
  n = text.length;
  findings = [];
  try {
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30) i++;
      else if (digitOf(c) >= 0) i = i > 0 && isWord(text.charCodeAt(i - 1)) ? skipWord(i) : digitRun(i);
      else if (c === 64) i = email(i);
      else if (isUpper(c) && !(i > 0 && isWord(text.charCodeAt(i - 1)))) i = upperToken(i);
      else i++;
    }
    return findings;
  } finally {
    T = '';
  }
}

// Scanning is synchronous, so one set of buffers serves every call (no allocation per message).
let T = '';
let n = 0;
let maxYear = 0;
let findings: Finding[] = [];
const digits = new Uint8Array(MAX_DIGITS + 2);
const pos = new Int32Array(MAX_DIGITS + 2);
const groupStart = new Int32Array(MAX_GROUPS + 1);
const groupEnd = new Int32Array(MAX_GROUPS + 1);
let contextMask = -1;
let contextAt = 0;
let yearCache = { year: 0, at: 0 };

/** Context words before the current digit run, looked up once per run and only when needed. */
function hasContext(bit: number): boolean {
  if (contextMask < 0) contextMask = contextBefore(T, contextAt);
  return (contextMask & bit) !== 0;
}

function currentYear(): number {
  const now = Date.now();
  if (now - yearCache.at > 60_000) yearCache = { year: new Date(now).getUTCFullYear(), at: now };
  return yearCache.year;
}

function skipWord(from: number): number {
  let j = from;
  while (j < n && isWord(T.charCodeAt(j))) j++;
  return j;
}

function digitRun(from: number): number {
  let len = 0;
  let groups = 0;
  let dotted = false;
  let j = from;
  groupStart[0] = 0;
  for (;;) {
    const c = j < n ? T.charCodeAt(j) : -1;
    const v = digitOf(c);
    if (v >= 0) {
      if (len >= MAX_DIGITS) return skipRun(j);
      digits[len] = v;
      pos[len++] = j++;
      continue;
    }
    if (isX(c) && !(j + 1 < n && isWord(T.charCodeAt(j + 1)))) {
      digits[len] = 10;
      pos[len++] = j++;
      break;
    }
    if (isSep(c)) {
      let k = j + 1;
      if (k < n && isSep(T.charCodeAt(k))) k++;
      if (k < n && digitOf(T.charCodeAt(k)) >= 0 && groups < MAX_GROUPS - 1) {
        if (c === 0x2e || c === 0xff0e) dotted = true;
        groupEnd[groups++] = len;
        groupStart[groups] = len;
        j = k;
        continue;
      }
    }
    break;
  }
  groupEnd[groups++] = len;
  // A run glued to letters (order "A123…", tracking "…CN") is an identifier, not a number.
  if (j < n && isWord(T.charCodeAt(j))) return skipWord(j);
  let plusAt = -1;
  const b1 = from - 1;
  if (b1 >= 0 && isPlus(T.charCodeAt(b1))) plusAt = b1;
  contextMask = -1;
  contextAt = plusAt >= 0 ? plusAt : from;
  for (let s = 0; s < groups; s++) {
    for (let e = groups - 1; e >= s; e--) {
      const a = groupStart[s]!;
      const b = groupEnd[e]!;
      if (b - a < 7) break;
      if (b - a > 34) continue;
      const found = classify(a, b, s === 0 ? plusAt : -1, !dotted && s === 0 && e === groups - 1);
      if (found) {
        findings.push(found);
        s = e;
        break;
      }
    }
  }
  return j;
}

function skipRun(j: number): number {
  while (j < n && (digitOf(T.charCodeAt(j)) >= 0 || isSep(T.charCodeAt(j)))) j++;
  return skipWord(j);
}

function classify(a: number, b: number, plusAt: number, whole: boolean): Finding | null {
  const len = b - a;
  const start = pos[a]!;
  const end = pos[b - 1]! + 1;
  if (len === 18 && cnIdValid(digits, a, maxYear || currentYear()))
    return { kind: 'cn_id', start, end, confidence: 0.97 };
  if (digits[b - 1] === 10) return null;
  // First-generation 15-digit IDs carry no check digit: only after an ID word, before the card test
  // (an Amex-shaped number right after "身份证" is the ID).
  if (len === 15 && plusAt < 0 && hasContext(CONTEXT.identity) && cnOldIdValid(digits, a))
    return { kind: 'cn_id', start, end, confidence: 0.9 };
  if (plusAt < 0 && len >= 12 && len <= 19 && luhnValid(digits, a, b)) {
    const network = cardNetwork(digits, a, b);
    // Maestro's wide ranges would flag too many order numbers: only with a card word before.
    if (network === 'maestro' && !hasContext(CONTEXT.card)) return null;
    if (network) return { kind: 'card', start, end, confidence: hasContext(CONTEXT.card) ? 0.99 : 0.95 };
  }
  if (len <= 15) {
    const phone = phoneAt(a, b, plusAt, whole);
    if (phone > 0) return { kind: 'phone', start: plusAt >= 0 ? plusAt : start, end, confidence: phone };
  }
  if (len === 9 && hasContext(CONTEXT.passport)) return { kind: 'passport', start, end, confidence: 0.6 };
  if (len >= 8 && len <= 30 && hasContext(CONTEXT.bank))
    return { kind: 'bank_account', start, end, confidence: 0.75 };
  return null;
}

function digitString(a: number, b: number): string {
  let s = '';
  for (let k = a; k < b; k++) s += String.fromCharCode(48 + digits[k]!);
  return s;
}

function phoneAt(a: number, b: number, plusAt: number, whole: boolean): number {
  const len = b - a;
  if (plusAt >= 0 && len >= 8) return validPhone(`+${digitString(a, b)}`) ? 0.9 : 0;
  const phoneWord = hasContext(CONTEXT.phone);
  // Without a phone word, only a whole undotted run counts (not an IP address or part of an order number).
  if (!whole && !phoneWord) return 0;
  if (len === 11 && digits[a] === 1 && digits[a + 1]! >= 3)
    return validPhone(digitString(a, b), 'CN') ? (phoneWord ? 0.95 : 0.85) : 0;
  if (phoneWord && len >= 8 && len <= 12) {
    const national = digitString(a, b);
    if (validPhone(national, 'US') || validPhone(national, 'CN') || validPhone(national, 'GB')) return 0.6;
  }
  return 0;
}

function email(at: number): number {
  let l = at;
  while (l > 0 && at - l < 64 && isEmailLocal(T.charCodeAt(l - 1))) l--;
  while (l < at && T.charCodeAt(l) === 46) l++;
  let r = at + 1;
  while (r < n && r - at <= 253 && isDomain(T.charCodeAt(r))) r++;
  while (r > at + 1 && (T.charCodeAt(r - 1) === 46 || T.charCodeAt(r - 1) === 45)) r--;
  if (l === at || !validDomain(at + 1, r)) return at + 1;
  while (findings.length > 0 && findings[findings.length - 1]!.start >= l) findings.pop();
  findings.push({ kind: 'email', start: l, end: r, confidence: 0.9 });
  return r;
}

function validDomain(from: number, to: number): boolean {
  let labelStart = from;
  let dots = 0;
  for (let k = from; k < to; k++) {
    if (T.charCodeAt(k) === 46) {
      if (k === labelStart) return false;
      dots++;
      labelStart = k + 1;
    }
  }
  if (dots === 0 || to - labelStart < 2) return false;
  for (let k = labelStart; k < to; k++) {
    const c = T.charCodeAt(k) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** An upper-case token at a word start: IBAN (`DE89 3704 …`) or letter-prefixed passport number. */
function upperToken(from: number): number {
  const c1 = from + 1 < n ? T.charCodeAt(from + 1) : -1;
  if (isUpper(c1) && from + 3 < n && digitOf(T.charCodeAt(from + 2)) >= 0) {
    const iban = ibanAt(from);
    if (iban > 0) return iban;
  }
  let j = from + 1;
  if (isUpper(c1)) j++;
  let count = 0;
  while (j < n && T.charCodeAt(j) >= 48 && T.charCodeAt(j) <= 57) {
    j++;
    count++;
  }
  if (
    count >= 7 &&
    count <= 9 &&
    !(j < n && isWord(T.charCodeAt(j))) &&
    (contextBefore(T, from) & CONTEXT.passport) !== 0
  )
    findings.push({ kind: 'passport', start: from, end: j, confidence: 0.65 });
  return skipWord(from);
}

function ibanAt(from: number): number {
  const want = IBAN_LENGTHS[T.slice(from, from + 2)];
  if (want === undefined) return 0;
  let chars = '';
  let j = from;
  while (j < n && chars.length < want) {
    const c = T.charCodeAt(j);
    if ((c >= 48 && c <= 57) || isUpper(c)) {
      chars += T[j];
      j++;
    } else if (c === 0x20 && chars.length >= 4 && j + 1 < n && isWord(T.charCodeAt(j + 1))) {
      j++;
    } else break;
  }
  if (chars.length !== want || (j < n && isWord(T.charCodeAt(j))) || !ibanValid(chars)) return 0;
  findings.push({ kind: 'iban', start: from, end: j, confidence: 0.97 });
  return j;
}

function validPhone(value: string, country?: CountryCode): boolean {
  const parsed = parsePhoneNumberFromString(value, country);
  return parsed !== undefined && parsed.isValid();
}
