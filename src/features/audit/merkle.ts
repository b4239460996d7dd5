import { hash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 Merkle trees: leaf = SHA-256(0x00 | data), node = SHA-256(0x01 | left | right),
 * a tree of n > 1 leaves splits at the largest power of two below n. Sizes and indexes are plain
 * numbers (exact up to 2^53), so no bitwise operators (they truncate to 32 bits) appear here.
 */
export const HASH_BYTES = 32;

/** MTH({}) = SHA-256 of the empty string (RFC 6962 §2.1). */
export const EMPTY_ROOT: Buffer = hash('sha256', Buffer.alloc(0), 'buffer');

/** {@link EMPTY_ROOT} as lowercase hex. */
export const EMPTY_ROOT_HEX: string = EMPTY_ROOT.toString('hex');

const scratch = Buffer.alloc(1 + 2 * HASH_BYTES);

/** SHA-256(0x00 | data): the hash of one leaf. */
export function leafHash(data: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([Buffer.of(0x00), data]), 'buffer');
}

/** SHA-256(0x01 | left | right): the hash of an inner node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  scratch[0] = 0x01;
  scratch.set(left, 1);
  scratch.set(right, 1 + HASH_BYTES);
  return hash('sha256', scratch, 'buffer');
}

/**
 * {@link nodeHash} over lowercase hex hashes, returning hex: the verifier folds a million leaves
 * without allocating a Buffer per node.
 */
export function nodeHashHex(left: string, right: string): string {
  scratch[0] = 0x01;
  if (
    scratch.write(left, 1, 'hex') !== HASH_BYTES ||
    scratch.write(right, 1 + HASH_BYTES, 'hex') !== HASH_BYTES
  )
    throw new RangeError('a node hash needs two 32-byte hashes');
  return hash('sha256', scratch, 'hex');
}

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A half-open leaf range [lo, hi) whose subtree hash a proof needs. */
export type Range = readonly [lo: number, hi: number];

/**
 * The subtrees whose hashes form the inclusion proof of leaf `index` in a tree of `size` leaves, in
 * proof order (RFC 9162 §2.1.3.1, deepest sibling first). At most ⌈log2 size⌉ ranges.
 */
export function inclusionRanges(index: number, size: number): Range[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError('leaf index must be below the tree size');
  }
  const out: Range[] = [];
  let lo = 0;
  let hi = size;
  let m = index;
  const siblings: Range[] = [];
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m < k) {
      siblings.push([lo + k, hi]);
      hi = lo + k;
    } else {
      siblings.push([lo, lo + k]);
      lo += k;
      m -= k;
    }
  }
  for (let i = siblings.length - 1; i >= 0; i--) out.push(siblings[i]!);
  return out;
}

/**
 * The subtrees whose hashes form the consistency proof between tree sizes `first` and `second`
 * (RFC 9162 §2.1.4.1). Empty when first is 0 or equal to second.
 */
export function consistencyRanges(first: number, second: number): Range[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) {
    throw new RangeError('consistency needs 0 ≤ first ≤ second');
  }
  if (first === 0 || first === second) return [];
  const siblings: Range[] = [];
  let lo = 0;
  let hi = second;
  let m = first;
  let whole = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      siblings.push([lo + k, hi]);
      hi = lo + k;
    } else {
      siblings.push([lo, lo + k]);
      lo += k;
      m -= k;
      whole = false;
    }
  }
  const out: Range[] = whole ? [] : [[lo, hi]];
  for (let i = siblings.length - 1; i >= 0; i--) out.push(siblings[i]!);
  return out;
}

/** MTH over leaf hashes, recursively, straight from the RFC definition (for tests and small ranges). */
export function treeHash(leaves: readonly Buffer[], lo = 0, hi = leaves.length): Buffer {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo]!;
  const k = splitPoint(n);
  return nodeHash(treeHash(leaves, lo, lo + k), treeHash(leaves, lo + k, hi));
}

const odd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

/**
 * Checks an inclusion proof (RFC 9162 §2.1.3.2): that `leaf` is leaf `index` of the tree of `size`
 * leaves whose root is `root`. Rejects extra, missing or altered proof hashes.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!wellFormed([leaf, root, ...proof])) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/**
 * Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of `second` leaves with root
 * `secondRoot` extends the tree of `first` leaves with root `firstRoot`, i.e. the log only grew.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second)
    return false;
  if (!wellFormed([firstRoot, secondRoot, ...proof])) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (first === 0) return proof.length === 0 && EMPTY_ROOT.equals(firstRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(fr).equals(firstRoot) && Buffer.from(sr).equals(secondRoot);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && splitPoint(n * 2) === n;
}

function wellFormed(hashes: readonly Uint8Array[]): boolean {
  return hashes.every((h) => h instanceof Uint8Array && h.length === HASH_BYTES);
}
