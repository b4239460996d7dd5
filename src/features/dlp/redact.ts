import { scan, type Finding, type FindingKind } from './scanner.ts';

/**
 * Kinds cut out of stored message bodies and refused in replies. E-mail addresses and phone numbers
 * are detected (and reported by `chatvault dlp scan`) but stay in bodies: customers and agents share
 * them routinely, and bodies are already encrypted under the customer's key.
 */
export const RESTRICTED_KINDS: ReadonlySet<FindingKind> = new Set([
  'card',
  'cn_id',
  'iban',
  'bank_account',
  'passport',
]);

/** Findings below this confidence are reported by the scanner but do not restrict a message. */
export const RESTRICT_THRESHOLD = 0.5;

/** A span cut out of a body: its kind, the placeholder shown instead, and the original text. */
export interface RestrictedSpan {
  readonly kind: FindingKind;
  readonly placeholder: string;
  readonly value: string;
}

const LABELS: Record<FindingKind, string> = {
  card: 'card ending',
  cn_id: 'ID number ending',
  iban: 'IBAN ending',
  bank_account: 'bank account ending',
  passport: 'passport number',
  email: 'e-mail address',
  phone: 'phone number',
};

/** "card ending 4242", "ID number ending 123X": the last 4 digits/letters (never for passports). */
export function placeholderFor(kind: FindingKind, value: string): string {
  if (kind === 'passport' || kind === 'email' || kind === 'phone') return `[${LABELS[kind]}]`;
  const tail = value
    .normalize('NFKC')
    .replace(/[^0-9A-Za-z]/g, '')
    .slice(-4)
    .toUpperCase();
  return `[${LABELS[kind]} ${tail}]`;
}

/** The findings that restrict a text (restricted kinds — or the tenant's subset — at or above the threshold). */
export function restrictedFindings(
  text: string,
  kinds: ReadonlySet<FindingKind> = RESTRICTED_KINDS,
): Finding[] {
  return scan(text).filter(
    (f) => RESTRICTED_KINDS.has(f.kind) && kinds.has(f.kind) && f.confidence >= RESTRICT_THRESHOLD,
  );
}

/**
 * Cuts the restricted spans out of `text`: the body with placeholders, and the spans (to be sealed
 * as the message's restricted field). Null when nothing is restricted.
 *
 * @example redact('card 4242 4242 4242 4242') // { text: 'card [card ending 4242]', spans: [...] }
 */
export function redact(
  text: string,
  kinds: ReadonlySet<FindingKind> = RESTRICTED_KINDS,
): { text: string; spans: RestrictedSpan[] } | null {
  const findings = restrictedFindings(text, kinds);
  if (findings.length === 0) return null;
  let out = '';
  let at = 0;
  const spans: RestrictedSpan[] = [];
  for (const f of findings) {
    const value = text.slice(f.start, f.end);
    const placeholder = placeholderFor(f.kind, value);
    out += text.slice(at, f.start) + placeholder;
    at = f.end;
    spans.push({ kind: f.kind, placeholder, value });
  }
  return { text: out + text.slice(at), spans };
}

/** The distinct kinds of a list of findings or spans, sorted (what an explanation may name). */
export function kindsOf(items: readonly { readonly kind: FindingKind }[]): FindingKind[] {
  return [...new Set(items.map((f) => f.kind))].sort();
}
