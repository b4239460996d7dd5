/**
 * Local time of a customer from the country their phone's calling code names (`src/lib/phone-country.ts`,
 * stored in `contacts.country` when the phone is written). Each country has one representative time
 * zone: quiet hours are a courtesy window, so an hour off at a border is accepted (README.md).
 */
export { countryOfPhone } from '../../lib/phone-country.ts';

const TIME_ZONES: Record<string, string> = {
  US: 'America/New_York',
  RU: 'Europe/Moscow',
  EG: 'Africa/Cairo',
  ZA: 'Africa/Johannesburg',
  GR: 'Europe/Athens',
  NL: 'Europe/Amsterdam',
  BE: 'Europe/Brussels',
  FR: 'Europe/Paris',
  ES: 'Europe/Madrid',
  HU: 'Europe/Budapest',
  IT: 'Europe/Rome',
  RO: 'Europe/Bucharest',
  CH: 'Europe/Zurich',
  AT: 'Europe/Vienna',
  GB: 'Europe/London',
  DK: 'Europe/Copenhagen',
  SE: 'Europe/Stockholm',
  NO: 'Europe/Oslo',
  PL: 'Europe/Warsaw',
  DE: 'Europe/Berlin',
  PE: 'America/Lima',
  MX: 'America/Mexico_City',
  AR: 'America/Argentina/Buenos_Aires',
  BR: 'America/Sao_Paulo',
  CL: 'America/Santiago',
  CO: 'America/Bogota',
  VE: 'America/Caracas',
  MY: 'Asia/Kuala_Lumpur',
  AU: 'Australia/Sydney',
  ID: 'Asia/Jakarta',
  PH: 'Asia/Manila',
  NZ: 'Pacific/Auckland',
  SG: 'Asia/Singapore',
  TH: 'Asia/Bangkok',
  JP: 'Asia/Tokyo',
  KR: 'Asia/Seoul',
  VN: 'Asia/Ho_Chi_Minh',
  CN: 'Asia/Shanghai',
  TR: 'Europe/Istanbul',
  IN: 'Asia/Kolkata',
  PK: 'Asia/Karachi',
  AF: 'Asia/Kabul',
  LK: 'Asia/Colombo',
  IR: 'Asia/Tehran',
  MA: 'Africa/Casablanca',
  DZ: 'Africa/Algiers',
  TN: 'Africa/Tunis',
  NG: 'Africa/Lagos',
  KE: 'Africa/Nairobi',
  PT: 'Europe/Lisbon',
  IE: 'Europe/Dublin',
  FI: 'Europe/Helsinki',
  UA: 'Europe/Kyiv',
  CZ: 'Europe/Prague',
  HK: 'Asia/Hong_Kong',
  BD: 'Asia/Dhaka',
  TW: 'Asia/Taipei',
  SA: 'Asia/Riyadh',
  AE: 'Asia/Dubai',
  IL: 'Asia/Jerusalem',
  QA: 'Asia/Qatar',
};

/** Every country a segment may name. */
export const KNOWN_COUNTRIES: readonly string[] = Object.keys(TIME_ZONES);

const hourFormats = new Map<string, Intl.DateTimeFormat>();

/** The hour (0–23) it is now in the country's representative time zone (UTC for an unknown one). */
export function localHour(country: string | null, at: Date): number {
  const timeZone = (country && TIME_ZONES[country]) || 'UTC';
  let f = hourFormats.get(timeZone);
  if (!f)
    hourFormats.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' })),
    );
  return Number(f.format(at)) % 24;
}

/** Inside `[start, end)` local hours; a window may wrap midnight (21 → 8). */
export function inQuietHours(hour: number, start: number, end: number): boolean {
  if (start === end) return false;
  return start < end ? hour >= start && hour < end : hour >= start || hour < end;
}

/** The countries (and `ZZ`) where it is quiet hours right now. */
export function quietCountries(start: number, end: number, at: Date): string[] {
  return [...KNOWN_COUNTRIES, 'ZZ'].filter((c) => inQuietHours(localHour(c, at), start, end));
}
