import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const STARS = '****';

/**
 * Masks an E.164 number, keeping the country code, the first three national digits and the last four
 * (`+86 138****5678`). Short national numbers keep less, so at least half the digits stay hidden.
 */
export function maskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const country = parsed ? parsed.countryCallingCode : '';
  const national = parsed ? String(parsed.nationalNumber) : e164.replace(/\D/g, '');
  const tail = national.length >= 8 ? 4 : national.length >= 6 ? 2 : 0;
  const head = national.length >= 10 ? 3 : national.length >= 8 ? 2 : 0;
  const shown = `${national.slice(0, head)}${STARS}${tail ? national.slice(-tail) : ''}`;
  return country ? `+${country} ${shown}` : shown;
}

/** Keeps the first character of a name (`Z***`); an empty name stays empty. */
export function maskName(name: string): string {
  const first = Array.from(name.trim())[0];
  return first === undefined ? '' : `${first}***`;
}

/** Keeps the first character of the local part and the domain (`j***@example.com`). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${Array.from(email)[0]}***${email.slice(at)}`;
}
