/**
 * The country of a phone number from its calling code, for segments and quiet hours. A calling code
 * shared by several countries (+1, +7) maps to its largest one. A country is not identifying: it is the
 * one thing derived from a phone number that may be stored in the clear (`contacts.country`).
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

/** `+4915112345678` → `DE`; `ZZ` when the calling code is not in the table. */
export function countryOfPhone(e164: string): string {
  const digits = e164.replace(/^\+/, '');
  for (const len of [3, 2, 1]) {
    const hit = CALLING_CODES[digits.slice(0, len)];
    if (hit) return hit;
  }
  return 'ZZ';
}
