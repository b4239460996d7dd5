import { createHmac } from 'node:crypto';

/** Depth of the tree: 2^40 leaves, handed out in order (see `shred-store.ts`). */
export const SHRED_DEPTH = 40;
export const SHRED_LEAVES = 2 ** SHRED_DEPTH;

const LABELS = [Buffer.from('chatvault-shred|0'), Buffer.from('chatvault-shred|1')] as const;
const child = (seed: Buffer, bit: number): Buffer => createHmac('sha256', seed).update(LABELS[bit]!).digest();
const bitsOf = (leaf: number) => leaf.toString(2).padStart(SHRED_DEPTH, '0');
/** Seeds at this depth (groups of 1,024 leaves) are memoised, so a random leaf costs ≤ 10 HMACs. */
const MID = SHRED_DEPTH - 10;
const MID_CACHE = 65_536;

/**
 * A puncturable PRF (a GGM tree): a leaf's secret is derived by HMAC from the seed covering it, so
 * handing out a secret writes nothing; puncturing a leaf replaces that seed by the siblings along the
 * path (at most 40), after which the leaf's secret cannot be derived from anything kept. Leaves are
 * allocated in order, so consecutive customers share most of their path: the last path is cached and
 * the next leaf costs about two HMACs.
 */
export class ShredTree {
  private readonly nodes: Map<string, Buffer>;
  /** The last derived path: `seeds[d]` is the seed of `bits.slice(0, d)`, valid from `from` on. */
  private path: { bits: string; from: number; seeds: Buffer[] } | undefined;
  /** Derived seeds at depth MID, only of subtrees with no punctured leaf; emptied by `puncture`. */
  private readonly mid = new Map<string, Buffer>();
  private derived = 0;

  constructor(nodes: Iterable<[string, Buffer]>) {
    this.nodes = new Map(nodes);
  }

  /** The secret of a leaf, or undefined once it was punctured. */
  secret(leaf: number): Buffer | undefined {
    const bits = bitsOf(leaf);
    const cached = this.path;
    let common = -1; // how deep the cached path is shared (−1: not usable)
    if (cached) {
      let shared = 0;
      while (shared < SHRED_DEPTH && bits[shared] === cached.bits[shared]) shared++;
      if (shared >= cached.from) common = shared;
    }
    // The cached path costs SHRED_DEPTH − common HMACs, the memo SHRED_DEPTH − MID: take the cheaper.
    // (Preferring the path whenever it was usable made a path derived from the root serve every later
    // random leaf from its shared prefix: about 20 HMACs each instead of 10.)
    if (common >= MID) return this.descend(bits, cached!.from, common, cached!.seeds);
    const memo = this.mid.get(bits.slice(0, MID));
    if (memo === undefined && common >= 0) return this.descend(bits, cached!.from, common, cached!.seeds);
    if (memo !== undefined) {
      const seeds: Buffer[] = [];
      seeds[MID] = memo;
      return this.descend(bits, MID, MID, seeds);
    }
    for (let depth = 0; depth <= SHRED_DEPTH; depth++) {
      const seed = this.nodes.get(bits.slice(0, depth));
      if (seed === undefined) continue;
      const seeds: Buffer[] = [];
      seeds[depth] = seed;
      return this.descend(bits, depth, depth, seeds);
    }
    return undefined;
  }

  private descend(bits: string, from: number, known: number, seeds: Buffer[]): Buffer {
    const next = seeds.slice(0, known + 1);
    for (let i = known; i < SHRED_DEPTH; i++) next[i + 1] = child(next[i]!, bits[i] === '1' ? 1 : 0);
    this.derived += SHRED_DEPTH - known;
    this.path = { bits, from, seeds: next };
    if (from <= MID) {
      if (this.mid.size >= MID_CACHE) this.mid.clear();
      this.mid.set(bits.slice(0, MID), next[MID]!);
    }
    return next[SHRED_DEPTH]!;
  }

  /** Removes a leaf for good; false when it was already gone. */
  puncture(leaf: number): boolean {
    const bits = bitsOf(leaf);
    this.path = undefined;
    this.mid.clear();
    for (let depth = 0; depth <= SHRED_DEPTH; depth++) {
      const prefix = bits.slice(0, depth);
      let seed = this.nodes.get(prefix);
      if (seed === undefined) continue;
      this.nodes.delete(prefix);
      for (let i = depth; i < SHRED_DEPTH; i++) {
        const bit = bits[i] === '1' ? 1 : 0;
        this.nodes.set(bits.slice(0, i) + String(1 - bit), child(seed, 1 - bit));
        seed = child(seed, bit);
      }
      return true;
    }
    return false;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** HMACs spent deriving secrets so far (what `secret` costs; puncturing not counted). */
  get derivations(): number {
    return this.derived;
  }

  entries(): IterableIterator<[string, Buffer]> {
    return this.nodes.entries();
  }
}
