import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RANDOM_BYTES = 10;
const POOL_SIZE = RANDOM_BYTES * 1024;

// One randomBytes call per 1024 ids: the syscall costs more than building the id. Each slice of the
// pool is used exactly once, then the pool is refilled with fresh randomness.
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

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
  if (poolOffset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += RANDOM_BYTES;
  let tail = '';
  for (let i = 0; i < 16; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const next = byte + 1 < RANDOM_BYTES ? pool[at + byte + 1]! : 0;
    const word = (pool[at + byte]! << 8) | next;
    tail += ALPHABET[(word >> (11 - (bit & 7))) & 31];
  }
  return `${prefix}_${head}${tail}`;
}

export const ID_PATTERN = /^[a-z]{2,4}_[0-9a-z]{26}$/;
