import { KNOWN_COUNTRIES } from './countries.ts';

/**
 * The languages (ISO 639-1) of each country `countries.ts` knows: the national official languages, plus
 * English where it is an official or co-official language of the state. Regional co-official languages
 * (Catalan in Spain, …) and languages without an ISO 639-1 code (Tamazight, …) are left out, and
 * `+1` / `+7` stand for the US and Russia only: a customer's language is a guess from their phone's
 * country, never something they told us (README.md).
 */
const LANGUAGES: Record<string, readonly string[]> = {
  US: ['en'],
  RU: ['ru'],
  EG: ['ar'],
  ZA: ['en', 'af', 'zu', 'xh'],
  GR: ['el'],
  NL: ['nl'],
  BE: ['nl', 'fr', 'de'],
  FR: ['fr'],
  ES: ['es'],
  HU: ['hu'],
  IT: ['it'],
  RO: ['ro'],
  CH: ['de', 'fr', 'it', 'rm'],
  AT: ['de'],
  GB: ['en'],
  DK: ['da'],
  SE: ['sv'],
  NO: ['no', 'nb', 'nn'],
  PL: ['pl'],
  DE: ['de'],
  PE: ['es', 'qu'],
  MX: ['es'],
  AR: ['es'],
  BR: ['pt'],
  CL: ['es'],
  CO: ['es'],
  VE: ['es'],
  MY: ['ms', 'en'],
  AU: ['en'],
  ID: ['id'],
  PH: ['tl', 'en'],
  NZ: ['en', 'mi'],
  SG: ['en', 'ms', 'zh', 'ta'],
  TH: ['th'],
  JP: ['ja'],
  KR: ['ko'],
  VN: ['vi'],
  CN: ['zh'],
  TR: ['tr'],
  IN: ['hi', 'en'],
  PK: ['ur', 'en'],
  AF: ['ps', 'fa'],
  LK: ['si', 'ta'],
  IR: ['fa'],
  MA: ['ar'],
  DZ: ['ar'],
  TN: ['ar'],
  NG: ['en'],
  KE: ['sw', 'en'],
  PT: ['pt'],
  IE: ['ga', 'en'],
  FI: ['fi', 'sv'],
  UA: ['uk'],
  CZ: ['cs'],
  HK: ['zh', 'en'],
  BD: ['bn'],
  TW: ['zh'],
  SA: ['ar'],
  AE: ['ar'],
  IL: ['he', 'ar'],
  QA: ['ar'],
};

/** Every language a segment may name. */
export const KNOWN_LANGUAGES: ReadonlySet<string> = new Set(Object.values(LANGUAGES).flat());

/** The languages of a country (`[]` for `ZZ` or a country not in the table). */
export function languagesOf(country: string): readonly string[] {
  return LANGUAGES[country] ?? [];
}

/** The countries where any of these languages is spoken: `['de']` → `AT`, `BE`, `CH`, `DE`. */
export function countriesSpeaking(languages: readonly string[]): string[] {
  const wanted = new Set(languages);
  return KNOWN_COUNTRIES.filter((c) => languagesOf(c).some((l) => wanted.has(l)));
}
