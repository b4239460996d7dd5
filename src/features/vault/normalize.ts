import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { ValidationError } from '../../lib/errors.ts';

/**
 * Normalises a phone number or WhatsApp id to E.164 (`+8613812345678`). WhatsApp ids are digits
 * without a plus; both forms are accepted. Throws ValidationError (without echoing the input).
 */
export function normalizePhone(input: string): string {
  const trimmed = input.normalize('NFKC').trim();
  if (trimmed.length > 40) throw new ValidationError('Phone number is too long');
  const withPlus = /^\d/.test(trimmed) ? `+${trimmed}` : trimmed;
  const parsed = parsePhoneNumberFromString(withPlus);
  if (!parsed || !parsed.isPossible()) throw new ValidationError('Not a possible international phone number');
  return parsed.number;
}

/** Lower-cased, NFKC-normalised, trimmed e-mail address; rejects anything not shaped like one. */
export function normalizeEmail(input: string): string {
  const value = input.normalize('NFKC').trim().toLowerCase();
  if (value.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
    throw new ValidationError('Not a valid e-mail address');
  }
  return value;
}

/** Normalised form of a name for comparison and indexing: NFKC, lower case, single spaces. */
export function normalizeName(input: string): string {
  return input.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
}
