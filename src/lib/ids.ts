import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A prefixed, time-ordered, random identifier: `ct_` + 10 chars of time + 16 chars of randomness
 * (80 bits). Ids never carry personal data.
 * @example newId('ct') // 'ct_01jd3k…'
 */
export function newId(prefix: string): string {
  let time = Date.now();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(10);
  let tail = '';
  for (let i = 0; i < 16; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const word = ((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0);
    tail += ALPHABET[(word >> (11 - (bit & 7))) & 31];
  }
  return `${prefix}_${head}${tail}`;
}

export const ID_PATTERN = /^[a-z]{2,4}_[0-9a-z]{26}$/;
