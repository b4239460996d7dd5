import type { KeyObject } from 'node:crypto';
import type { Keyring } from '../keys/keyring.ts';
import { GENESIS_HEX, HexFrontier, chainHashHex } from './chain.ts';
import { EMPTY_ROOT_HEX } from './merkle.ts';
import { publicKeyFromSpki, toCheckpoint, verifyCheckpoint, type Checkpoint } from './checkpoint.ts';
import { NODE_LEVEL_STRIDE } from './sequencer.ts';
import {
  chainedFromTuple,
  withSnapshot,
  type AuditSnapshot,
  type EntryTuple,
  type SnapshotSource,
} from './snapshot.ts';

export type ProblemKind =
  | 'key_swapped'
  | 'key_unverifiable'
  | 'entry_missing'
  | 'entry_duplicated'
  | 'entry_outside_chain'
  | 'entry_mismatch'
  | 'node_mismatch'
  | 'checkpoint_signature'
  | 'checkpoint_order'
  | 'checkpoint_mismatch'
  | 'trusted_checkpoint_invalid'
  | 'trusted_checkpoint_mismatch'
  | 'truncated'
  | 'head_mismatch';

export interface Problem {
  readonly kind: ProblemKind;
  /** The first entry found bad (or the position where an entry is missing). */
  readonly seq?: number;
  /** The checkpoint ordinal concerned. */
  readonly checkpoint?: number;
  readonly message: string;
}

export interface TenantVerification {
  readonly tenantId: string;
  readonly ok: boolean;
  /** Chained entries checked, checkpoints checked, entries still waiting for the sequencer. */
  readonly entries: number;
  readonly checkpoints: number;
  readonly pending: number;
  /** Where the public keys came from: re-derived from the root-wrapped keys, an exported file, or nowhere. */
  readonly keyTrust: 'derived' | 'file' | 'none';
  readonly problem?: Problem;
}

/** A checkpoint and public keys saved earlier (an export file): the log must still extend it. */
export interface TrustedAnchor {
  readonly checkpoint: Checkpoint;
  readonly publicKeys: ReadonlyMap<number, Buffer>;
}

class Failure extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}
const fail = (problem: Problem): never => {
  throw new Failure(problem);
};

/**
 * Recomputes one tenant's chain, Merkle roots and checkpoint signatures from the entries alone and
 * stops at the first problem. Stored hashes, seq numbers, nodes, head and public keys are only ever
 * compared with what was recomputed, never used as inputs.
 */
export async function verifyTenant(
  deps: SnapshotSource & { keyring: Pick<Keyring, 'auditPublicKeys'> },
  tenantId: string,
  anchor?: TrustedAnchor,
): Promise<TenantVerification> {
  return withSnapshot(deps, (snapshot) => verifyIn(snapshot, deps, tenantId, anchor));
}

async function verifyIn(
  snapshot: AuditSnapshot,
  deps: { keyring: Pick<Keyring, 'auditPublicKeys'> },
  tenantId: string,
  anchor?: TrustedAnchor,
): Promise<TenantVerification> {
  const pending = await snapshot.pending(tenantId);
  const counts = { entries: 0, checkpoints: 0 };
  let keyTrust: TenantVerification['keyTrust'] = 'none';
  try {
    const trusted = await trustedKeys(deps, tenantId, anchor);
    keyTrust = trusted.source;
    const cps = (await snapshot.checkpoints(tenantId)).map(toCheckpoint);
    cps.forEach((c, i) => {
      if (!verifyCheckpoint(c, trusted.keys.get(c.keyVersion) ?? missingKey(c)))
        fail({
          kind: 'checkpoint_signature',
          checkpoint: i,
          message: `checkpoint ${i}: the signature does not verify (forged, altered or replayed)`,
        });
      if (c.ordinal !== i || (i > 0 && c.treeSize <= cps[i - 1]!.treeSize))
        fail({
          kind: 'checkpoint_order',
          checkpoint: i,
          message: `checkpoint ${i}: out of order (a checkpoint was removed or moved)`,
        });
    });
    // Hashes are compared as lowercase hex, the form the snapshot reads them in.
    const nodes = new Map<string, string>();
    for (const n of await snapshot.nodes(tenantId))
      nodes.set(`${n.level}:${Number(n.idx)}`, Buffer.from(n.hash).toString('hex'));
    let nodesSeen = 0;
    const frontier = HexFrontier.empty();
    let previous = GENESIS_HEX;
    const checkNode = (level: number, idx: number, hash: string) => {
      if (level % NODE_LEVEL_STRIDE !== 0) return;
      nodesSeen++;
      if (nodes.get(`${level}:${idx}`) !== hash)
        fail({
          kind: 'node_mismatch',
          seq: frontier.size,
          message: `stored Merkle node ${level}:${idx} is wrong (proofs would not verify)`,
        });
    };
    // Checkpoints have strictly increasing sizes (checked above): the next one due is a cursor. One of
    // size 0 can only cover the empty log.
    let due = 0;
    if (cps[0]?.treeSize === 0) {
      matchCheckpoint(cps[0], EMPTY_ROOT_HEX, GENESIS_HEX, 0);
      due = 1;
      counts.checkpoints++;
    }
    const anchorSize = anchor?.checkpoint.treeSize;
    // A negative seq (listed by queries, never chained) is reported after the chain itself.
    let outside: number | undefined;
    const visit = (row: EntryTuple) => {
      const seq = frontier.size;
      const stored = Number(row[0]);
      if (stored < 0) {
        outside ??= stored;
        return;
      }
      if (stored > seq)
        fail({
          kind: 'entry_missing',
          seq,
          message: `entry ${seq} is missing (deleted); the next stored entry is ${stored}`,
        });
      if (stored < seq)
        fail({
          kind: 'entry_duplicated',
          seq: stored,
          message: `entry ${stored} appears more than once, or out of place`,
        });
      if (stored !== seq) fail({ kind: 'entry_mismatch', seq, message: `entry ${seq} has a malformed seq` });
      const hash = chainHashHex(previous, chainedFromTuple(row, seq, tenantId));
      if (hash !== row[1])
        fail({
          kind: 'entry_mismatch',
          seq,
          message: `entry ${seq} does not match its chain hash: it was edited, or entries around it were inserted, removed or reordered`,
        });
      frontier.append(hash, checkNode);
      previous = hash;
      counts.entries++;
      const size = frontier.size;
      while (due < cps.length && cps[due]!.treeSize === size) {
        matchCheckpoint(cps[due++]!, frontier.root(), previous, seq);
        counts.checkpoints++;
      }
      if (anchorSize === size) matchAnchor(anchor!.checkpoint, frontier.root(), previous, seq);
    };
    await snapshot.scanEntries(tenantId, visit);
    if (outside !== undefined)
      fail({
        kind: 'entry_outside_chain',
        seq: outside,
        message: `an entry carries seq ${outside}: it sits outside the chain (inserted or moved)`,
      });
    const size = frontier.size;
    const beyond = cps.find((c) => c.treeSize > size);
    if (beyond)
      fail({
        kind: 'truncated',
        seq: size,
        checkpoint: beyond.ordinal,
        message: `checkpoint ${beyond.ordinal} covers ${beyond.treeSize} entries but the log holds ${size}: entries were removed from the end`,
      });
    if (anchor && anchor.checkpoint.treeSize > size)
      fail({
        kind: 'truncated',
        seq: size,
        message: `the trusted checkpoint covers ${anchor.checkpoint.treeSize} entries but the log holds ${size}: entries were removed from the end`,
      });
    if (anchor?.checkpoint.treeSize === 0) matchAnchor(anchor.checkpoint, frontier.root(), previous, 0);
    if (nodesSeen !== nodes.size)
      fail({ kind: 'node_mismatch', seq: size, message: 'stored Merkle nodes exist beyond the log' });
    await checkHead(snapshot, tenantId, frontier, previous, cps);
    return { tenantId, ok: true, ...counts, pending, keyTrust };
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    return { tenantId, ok: false, ...counts, pending, keyTrust, problem: error.problem };
  }
}

function missingKey(c: Checkpoint): never {
  return fail({
    kind: 'checkpoint_signature',
    checkpoint: c.ordinal,
    message: `checkpoint ${c.ordinal}: signed with an unknown key version ${c.keyVersion}`,
  });
}

function matchCheckpoint(c: Checkpoint, root: string, head: string, seq: number): void {
  if (c.rootHash.toString('hex') !== root || c.chainHead.toString('hex') !== head)
    fail({
      kind: 'checkpoint_mismatch',
      seq,
      checkpoint: c.ordinal,
      message: `checkpoint ${c.ordinal} (size ${c.treeSize}) does not match the entries up to ${seq}: history was rewritten`,
    });
}

function matchAnchor(c: Checkpoint, root: string, head: string, seq: number): void {
  if (c.rootHash.toString('hex') !== root || c.chainHead.toString('hex') !== head)
    fail({
      kind: 'trusted_checkpoint_mismatch',
      seq,
      message: `the log does not extend the trusted checkpoint of size ${c.treeSize}: history was rewritten`,
    });
}

/**
 * The keys checkpoints are checked with. Unsealed: each version re-derived from its root-wrapped
 * private key (the stored public key must equal it). With a trusted file: its keys, which the stored
 * ones must equal. Neither: nothing can be trusted, which is itself a failure.
 */
async function trustedKeys(
  deps: { keyring: Pick<Keyring, 'auditPublicKeys'> },
  tenantId: string,
  anchor?: TrustedAnchor,
): Promise<{ keys: Map<number, KeyObject>; source: TenantVerification['keyTrust'] }> {
  const keys = new Map<number, KeyObject>();
  let source: TenantVerification['keyTrust'] = 'none';
  const stored = await deps.keyring.auditPublicKeys(tenantId);
  for (const k of stored) {
    if (!k.openable)
      fail({
        kind: 'key_swapped',
        message: `audit key version ${k.version}: the wrapped private key does not open (replaced)`,
      });
    if (!k.derived) continue;
    if (!k.stored?.equals(k.derived))
      fail({
        kind: 'key_swapped',
        message: `audit key version ${k.version}: the stored public key does not belong to the root-wrapped private key (swapped)`,
      });
    keys.set(k.version, publicKeyFromSpki(k.derived));
    source = 'derived';
  }
  if (anchor) {
    for (const [version, spki] of anchor.publicKeys) {
      if (!stored.find((k) => k.version === version)?.stored?.equals(spki))
        fail({
          kind: 'key_swapped',
          message: `audit key version ${version}: the stored public key differs from the trusted file (swapped)`,
        });
      if (!keys.has(version)) keys.set(version, publicKeyFromSpki(spki));
    }
    if (source === 'none' && keys.size > 0) source = 'file';
    const key = keys.get(anchor.checkpoint.keyVersion);
    if (anchor.checkpoint.tenantId !== tenantId || !key || !verifyCheckpoint(anchor.checkpoint, key))
      fail({
        kind: 'trusted_checkpoint_invalid',
        message: 'the trusted checkpoint file does not verify for this tenant',
      });
  }
  if (keys.size === 0)
    fail({
      kind: 'key_unverifiable',
      message: 'cannot confirm the audit public key: unseal the vault or pass --checkpoint FILE',
    });
  return { keys, source };
}

async function checkHead(
  snapshot: AuditSnapshot,
  tenantId: string,
  frontier: HexFrontier,
  previous: string,
  cps: Checkpoint[],
) {
  const head = await snapshot.head(tenantId);
  const size = frontier.size;
  if (!head) {
    if (size > 0 || cps.length > 0)
      fail({ kind: 'head_mismatch', seq: size, message: 'the sequencer head row is missing' });
    return;
  }
  const last = cps.at(-1);
  const consistent =
    Number(head.size) === size &&
    Buffer.from(head.hash).toString('hex') === previous &&
    Buffer.from(head.frontier).equals(frontier.serialize()) &&
    Number(head.checkpoint_count) === cps.length &&
    Number(head.checkpoint_size) === (last?.treeSize ?? 0);
  if (!consistent)
    fail({
      kind: 'head_mismatch',
      seq: size,
      message: 'the sequencer head does not match the log (new entries would chain from a forged state)',
    });
}
