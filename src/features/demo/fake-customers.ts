import type { CreateContactInput } from '../contacts/contacts.schema.ts';

const FIRST = [
  'Wei',
  'Li',
  'Ana',
  'João',
  'Priya',
  'Amara',
  'Lukas',
  'Sofia',
  'Chen',
  'Fatima',
  'Mateo',
  'Yuki',
  '张伟',
  '王芳',
];
const LAST = [
  'Zhang',
  'Silva',
  'Sharma',
  'Okafor',
  'Müller',
  'Rossi',
  'Wang',
  'Haddad',
  'García',
  'Tanaka',
  'Liu',
];
/** Country code plus a national-number pattern; `#` is a random digit. */
const PLANS = [
  '86 13#########',
  '1 415555####',
  '44 7700900###',
  '55 1198#######',
  '91 98########',
  '49 151########',
  '62 812########',
];

/** A small deterministic PRNG (mulberry32) so fixtures are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generates fictional customers (distinct phone numbers, names, e-mails) for the demo, the tests and
 * the benchmarks. Numbers are unique within one call.
 */
export type FakeCustomer = CreateContactInput & {
  waId: string;
  phone: string;
  profileName: string;
  email: string;
};

export function fakeCustomers(count: number, seed = 1): FakeCustomer[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const seen = new Set<string>();
  const out: FakeCustomer[] = [];
  while (out.length < count) {
    const [cc, pattern] = pick(PLANS).split(' ') as [string, string];
    const digits = cc + pattern.replace(/#/g, () => String(Math.floor(random() * 10)));
    if (seen.has(digits)) continue;
    seen.add(digits);
    const first = pick(FIRST);
    const last = pick(LAST);
    const n: number = out.length;
    out.push({
      waId: digits,
      phone: `+${digits}`,
      profileName: `${first} ${last}`,
      email: `${
        first
          .toLowerCase()
          .normalize('NFD')
          .replace(/[^a-z]/g, '') || 'kunde'
      }.${last
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}${n}@example.com`,
      tags: n % 3 === 0 ? ['vip'] : ['lead'],
      attributes: {
        lastOrder: `ORD-${100000 + n}`,
        city: pick(['Shanghai', 'São Paulo', 'Mumbai', 'Berlin', 'Jakarta']),
      },
    });
  }
  return out;
}
