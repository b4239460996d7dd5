import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import * as repo from './audit.repository.ts';
import { GENESIS } from './chain.ts';
import { checkpointToJson, toCheckpoint, type CheckpointJson } from './checkpoint.ts';
import { entryToJson, type AuditEntryJson } from './entry-json.ts';
import { EMPTY_ROOT, consistencyRanges, inclusionRanges, nodeHash, splitPoint } from './merkle.ts';
import { NODE_LEVEL_STRIDE } from './sequencer.ts';

export interface InclusionProof {
  readonly treeSize: number;
  readonly entry: AuditEntryJson;
  /** hash_{seq-1} (genesis for seq 0): the leaf is previousHash | canonical(entry). */
  readonly previousHash: string;
  readonly leafHash: string;
  readonly path: string[];
  readonly rootHash: string;
  /** The signed checkpoint of this tree size, if there is one: verify the root against it. */
  readonly checkpoint: CheckpointJson | null;
}

export interface ConsistencyProof {
  readonly first: number;
  readonly second: number;
  readonly firstRoot: string;
  readonly secondRoot: string;
  readonly path: string[];
  readonly checkpoints: { readonly first: CheckpointJson | null; readonly second: CheckpointJson | null };
}

const incomplete = () =>
  new AppError(500, 'internal', 'The audit log is incomplete; run `chatvault audit verify`');
const hex = (b: Buffer) => b.toString('hex');

/**
 * Merkle proofs served from stored data: chain hashes are the leaf hashes and complete subtrees at
 * levels 8, 16, 24… are stored, so any subtree hash reads at most 2^7 rows and a proof O(log n) ranges.
 * Proofs are only as good as the signed checkpoint the client checks them against.
 */
export function createProofs(deps: { db: Db }) {
  const { db } = deps;

  /** Hash of the complete subtree of 2^level leaves starting at leaf index·2^level. */
  async function perfect(tenantId: string, level: number, index: number): Promise<Buffer> {
    const base = Math.min(32, Math.floor(level / NODE_LEVEL_STRIDE) * NODE_LEVEL_STRIDE);
    const count = 2 ** (level - base);
    const start = index * count;
    const rows =
      base === 0
        ? (await repo.leafHashes(db, tenantId, start, count)).map((r) => r.hash)
        : (await repo.nodesAt(db, tenantId, base, start, count)).map((r) => r.hash);
    if (rows.length !== count || rows.some((h) => !h || h.length !== 32)) throw incomplete();
    let layer: Buffer[] = rows.map((h) => Buffer.from(h!));
    while (layer.length > 1) {
      const up: Buffer[] = [];
      for (let i = 0; i < layer.length; i += 2) up.push(nodeHash(layer[i]!, layer[i + 1]!));
      layer = up;
    }
    return layer[0]!;
  }

  /** MTH(D[lo:hi]) per RFC 6962, from the largest stored pieces. */
  async function subtree(tenantId: string, lo: number, hi: number): Promise<Buffer> {
    const n = hi - lo;
    if (n === 0) return EMPTY_ROOT;
    if (splitPoint(n * 2) === n && lo % n === 0) return perfect(tenantId, Math.log2(n), lo / n);
    const k = splitPoint(n);
    return nodeHash(await subtree(tenantId, lo, lo + k), await subtree(tenantId, lo + k, hi));
  }

  async function sizeOf(tenantId: string): Promise<number> {
    return Number((await repo.findHead(db, tenantId))?.size ?? 0);
  }

  async function checkpointJson(tenantId: string, treeSize: number): Promise<CheckpointJson | null> {
    const row = await repo.checkpointOfSize(db, tenantId, treeSize);
    return row ? checkpointToJson(toCheckpoint(row)) : null;
  }

  return {
    rootAt: (tenantId: string, size: number) => subtree(tenantId, 0, size),

    /** Proof that entry `seq` is in the tree of `treeSize` entries (default: the latest checkpoint). */
    inclusion: async (tenantId: string, seq: number, treeSize?: number): Promise<InclusionProof> => {
      const size = treeSize ?? Number((await repo.latestCheckpoint(db, tenantId))?.tree_size ?? 0);
      if (size > (await sizeOf(tenantId))) throw new ValidationError('treeSize is larger than the log');
      if (seq >= size)
        throw new ValidationError('seq is not below the tree size (not yet under a checkpoint?)');
      const row = await repo.entryAt(db, tenantId, seq);
      if (!row?.hash) throw new NotFoundError('Audit entry');
      const previous = seq === 0 ? GENESIS : (await repo.entryAt(db, tenantId, seq - 1))?.hash;
      if (!previous) throw incomplete();
      const path: string[] = [];
      for (const [lo, hi] of inclusionRanges(seq, size)) path.push(hex(await subtree(tenantId, lo, hi)));
      return {
        treeSize: size,
        entry: entryToJson(row),
        previousHash: hex(Buffer.from(previous)),
        leafHash: hex(Buffer.from(row.hash)),
        path,
        rootHash: hex(await subtree(tenantId, 0, size)),
        checkpoint: await checkpointJson(tenantId, size),
      };
    },

    /** Proof that the tree of `second` entries extends the tree of `first` entries. */
    consistency: async (tenantId: string, first: number, second: number): Promise<ConsistencyProof> => {
      if (first > second) throw new ValidationError('first must not be larger than second');
      if (second > (await sizeOf(tenantId))) throw new ValidationError('second is larger than the log');
      const path: string[] = [];
      for (const [lo, hi] of consistencyRanges(first, second))
        path.push(hex(await subtree(tenantId, lo, hi)));
      return {
        first,
        second,
        firstRoot: hex(await subtree(tenantId, 0, first)),
        secondRoot: hex(await subtree(tenantId, 0, second)),
        path,
        checkpoints: {
          first: await checkpointJson(tenantId, first),
          second: await checkpointJson(tenantId, second),
        },
      };
    },
  };
}
