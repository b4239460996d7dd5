import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { AuditCheckpointsTable } from './audit.table.ts';

/** A signed tree head: the log of `tenantId` had `treeSize` entries with this root and chain head. */
export interface Checkpoint {
  readonly tenantId: string;
  /** 0, 1, 2… per tenant: a checkpoint copied to another position no longer verifies. */
  readonly ordinal: number;
  readonly treeSize: number;
  readonly rootHash: Buffer;
  /** hash_{treeSize-1}, the chain hash of the last entry (32 zero bytes for an empty log). */
  readonly chainHead: Buffer;
  readonly time: string;
  readonly keyVersion: number;
  readonly signature: Buffer;
}

const DOMAIN = Buffer.from('chatvault-audit-checkpoint-v1\n', 'utf8');

/**
 * The signed bytes: a domain string, then tenant id (u16 length + UTF-8), ordinal (u64), tree size
 * (u64), root (32), chain head (32), time (u16 length + UTF-8), key version (u32), all big-endian.
 */
export function checkpointMessage(c: Omit<Checkpoint, 'signature'>): Buffer {
  const tenant = Buffer.from(c.tenantId, 'utf8');
  const time = Buffer.from(c.time, 'utf8');
  const fixed = Buffer.alloc(8 + 8 + 32 + 32);
  writeU64(fixed, c.ordinal, 0);
  writeU64(fixed, c.treeSize, 8);
  c.rootHash.copy(fixed, 16);
  c.chainHead.copy(fixed, 48);
  const version = Buffer.alloc(4);
  version.writeUInt32BE(c.keyVersion);
  return Buffer.concat([DOMAIN, u16(tenant.length), tenant, fixed, u16(time.length), time, version]);
}

/** Ed25519 verification of a checkpoint under a trusted SPKI public key. */
export function verifyCheckpoint(c: Checkpoint, publicKey: KeyObject): boolean {
  if (c.rootHash.length !== 32 || c.chainHead.length !== 32) return false;
  try {
    return verify(null, checkpointMessage(c), publicKey, c.signature);
  } catch {
    return false;
  }
}

export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

export function toCheckpoint(row: AuditCheckpointsTable): Checkpoint {
  return {
    tenantId: row.tenant_id,
    ordinal: Number(row.ordinal),
    treeSize: Number(row.tree_size),
    rootHash: Buffer.from(row.root_hash),
    chainHead: Buffer.from(row.chain_head),
    time: row.time,
    keyVersion: row.key_version,
    signature: Buffer.from(row.signature),
  };
}

/** The JSON form used by the API, exports and `audit verify --checkpoint`: hashes hex, signature base64. */
export interface CheckpointJson {
  readonly tenantId: string;
  readonly ordinal: number;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly chainHead: string;
  readonly time: string;
  readonly keyVersion: number;
  readonly signature: string;
}

export function checkpointToJson(c: Checkpoint): CheckpointJson {
  return {
    tenantId: c.tenantId,
    ordinal: c.ordinal,
    treeSize: c.treeSize,
    rootHash: c.rootHash.toString('hex'),
    chainHead: c.chainHead.toString('hex'),
    time: c.time,
    keyVersion: c.keyVersion,
    signature: c.signature.toString('base64'),
  };
}

export function checkpointFromJson(j: CheckpointJson): Checkpoint {
  return {
    ...j,
    rootHash: Buffer.from(j.rootHash, 'hex'),
    chainHead: Buffer.from(j.chainHead, 'hex'),
    signature: Buffer.from(j.signature, 'base64'),
  };
}

function u16(n: number): Buffer {
  if (n > 0xffff) throw new RangeError('field longer than 65535 bytes');
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function writeU64(out: Buffer, n: number, at: number): void {
  out.writeUInt32BE(Math.floor(n / 0x100000000), at);
  out.writeUInt32BE(n % 0x100000000, at + 4);
}
