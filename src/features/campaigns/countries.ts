/**
 * Country and local time of a customer from the phone's calling code. A calling code shared by several
 * countries (+1, +7) maps to its largest one, and each country to one representative time zone: quiet
 * hours are a courtesy window, so an hour off at a border is accepted (documented in README.md).
 */
const CALLING_CODES: Record<string, string> = {
  '1': 'US',
  '7': 'RU',
  '20': 'EG',
  '27': 'ZA',
  '30': 'GR',
  '31': 'NL',
  '32': 'BE',
  '33': 'FR',
  '34': 'ES',
  '36': 'HU',
  '39': 'IT',
  '40': 'RO',
  '41': 'CH',
  '43': 'AT',
  '44': 'GB',
  '45': 'DK',
  '46': 'SE',
  '47': 'NO',
  '48': 'PL',
  '49': 'DE',
  '51': 'PE',
  '52': 'MX',
  '54': 'AR',
  '55': 'BR',
  '56': 'CL',
  '57': 'CO',
  '58': 'VE',
  '60': 'MY',
  '61': 'AU',
  '62': 'ID',
  '63': 'PH',
  '64': 'NZ',
  '65': 'SG',
  '66': 'TH',
  '81': 'JP',
  '82': 'KR',
  '84': 'VN',
  '86': 'CN',
  '90': 'TR',
  '91': 'IN',
  '92': 'PK',
  '93': 'AF',
  '94': 'LK',
  '98': 'IR',
  '212': 'MA',
  '213': 'DZ',
  '216': 'TN',
  '234': 'NG',
  '254': 'KE',
  '351': 'PT',
  '353': 'IE',
  '358': 'FI',
  '380': 'UA',
  '420': 'CZ',
  '852': 'HK',
  '880': 'BD',
  '886': 'TW',
  '966': 'SA',
  '971': 'AE',
  '972': 'IL',
  '974': 'QA',
};

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

/** `+4915112345678` → `DE`; `ZZ` when the calling code is not in the table. */
export function countryOfPhone(e164: string): string {
  const digits = e164.replace(/^\+/, '');
  for (const len of [3, 2, 1]) {
    const hit = CALLING_CODES[digits.slice(0, len)];
    if (hit) return hit;
  }
  return 'ZZ';
}

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
