import { hash } from 'node:crypto';
import type { AuditEntriesTable } from './audit.table.ts';
import { EMPTY_ROOT, EMPTY_ROOT_HEX, HASH_BYTES, nodeHash, nodeHashHex } from './merkle.ts';

/** The chain starts from 32 zero bytes, for every tenant (the tenant id is inside every entry). */
export const GENESIS: Buffer = Buffer.alloc(HASH_BYTES);

/** What one chained audit entry says; every field is covered by its hash. No personal data in clear. */
export interface ChainedEntry {
  readonly seq: number;
  readonly id: string;
  readonly tenantId: string;
  readonly time: string;
  readonly actorType: string;
  readonly actorId: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly outcome: string;
  /** AEAD ciphertexts (under the subject's or the tenant `restricted` key): hashed as stored bytes. */
  readonly reasonCt: Uint8Array | null;
  readonly detailCt: Uint8Array | null;
  /** The customer whose key encrypts reason/detail; null when the tenant `restricted` key does. */
  readonly subjectId: string | null;
  /** JSON array of policy ids, exactly as stored (`JSON.stringify(string[])`). */
  readonly policyIds: string;
  readonly clientIp: string | null;
  readonly requestId: string | null;
  /**
   * The public id of the sign-in session the entry was written in (never its secret); null or absent
   * outside a signed-in request. Only a non-null value is encoded (format 2), so entries written before
   * the field existed keep their format-1 bytes and hashes.
   */
  readonly sessionId?: string | null;
}

const MAGIC = Buffer.from([0x43, 0x56, 0x41, 0x01]); // "CVA" + format version 1
const MAGIC_V2 = Buffer.from([0x43, 0x56, 0x41, 0x02]); // "CVA" + format version 2 (with a session)
const NULL_LENGTH = 0xffffffff;
const PREFIX = 1 + HASH_BYTES; // 0x00 | previous hash

/**
 * canonical(entry): "CVA\x01" | seq (u64 BE) | then each field in the order of {@link ChainedEntry}
 * up to `requestId` as u32 BE byte length + bytes (UTF-8 for text), with length 0xFFFFFFFF for null.
 * An entry with a session is format 2: "CVA\x02" | the same | session id (length-prefixed). The
 * version byte says whether the session field is there, so both forms are unambiguous.
 * Deterministic, unambiguous (every field is length-prefixed), and cheap to build.
 */
export function canonicalEntry(entry: ChainedEntry): Buffer {
  return Buffer.from(encode(entry, 0));
}

/**
 * The Merkle leaf of an entry is `hash_{n-1} | canonical(entry_n)`, so its RFC 6962 leaf hash
 * SHA-256(0x00 | hash_{n-1} | canonical) is exactly the chain hash `hash_n` of DESIGN.md.
 */
export function leafData(previous: Uint8Array, entry: ChainedEntry): Buffer {
  const out = Buffer.from(encode(entry, HASH_BYTES));
  out.set(previous, 0);
  return out;
}

/** hash_n = SHA-256(0x00 | hash_{n-1} | canonical(entry_n)). */
export function chainHash(previous: Uint8Array, entry: ChainedEntry): Buffer {
  const input = encode(entry, PREFIX);
  input[0] = 0x00;
  input.set(previous, 1);
  return hash('sha256', input, 'buffer');
}

/**
 * An entry as the verifier reads it in bulk: the ciphertexts as hex text (SQL `hex()` /
 * `encode(…, 'hex')`), so reading a million rows allocates no Buffer per row. Same canonical bytes.
 */
export interface ChainedEntryHex extends Omit<ChainedEntry, 'reasonCt' | 'detailCt'> {
  readonly reasonCtHex: string | null;
  readonly detailCtHex: string | null;
}

/** {@link GENESIS} as hex. */
export const GENESIS_HEX = '0'.repeat(2 * HASH_BYTES);

/** {@link chainHash} with hashes as lowercase hex: `previous` hex in, hash_n hex out. */
export function chainHashHex(previous: string, entry: ChainedEntryHex): string {
  const input = encode(entry, PREFIX);
  input[0] = 0x00;
  if (input.write(previous, 1, 'hex') !== HASH_BYTES) throw new RangeError('previous hash must be 32 bytes');
  return hash('sha256', input, 'hex');
}

type Field = string | Uint8Array | null;

const REASON_FIELD = 9;
const DETAIL_FIELD = 10;
/** Fields of a format-1 entry (no session); a format-2 entry has one more. */
const FORMAT_1_FIELDS = 15;

function fieldsOf(e: ChainedEntry | ChainedEntryHex): Field[] {
  const hex = 'reasonCtHex' in e;
  return [
    e.id,
    e.tenantId,
    e.time,
    e.actorType,
    e.actorId,
    e.action,
    e.targetType,
    e.targetId,
    e.outcome,
    hex ? e.reasonCtHex : e.reasonCt,
    hex ? e.detailCtHex : e.detailCt,
    e.subjectId,
    e.policyIds,
    e.clientIp,
    e.requestId,
    ...(e.sessionId === undefined || e.sessionId === null ? [] : [e.sessionId]),
  ];
}

// One growing scratch buffer for encoding: hashing a million entries allocates no input buffers.
let scratch = Buffer.allocUnsafe(4096);

/**
 * The canonical bytes of `entry` after `headroom` free bytes, in the shared scratch buffer: the view
 * is valid until the next call (callers hash it at once or copy it). A {@link ChainedEntryHex} has its
 * ciphertexts written from hex; any other text is UTF-8.
 */
function encode(entry: ChainedEntry | ChainedEntryHex, headroom: number): Buffer {
  if (!Number.isSafeInteger(entry.seq) || entry.seq < 0)
    throw new RangeError('seq must be a safe integer ≥ 0');
  const fields = fieldsOf(entry);
  const hexBlobs = 'reasonCtHex' in entry;
  // Upper bound without scanning strings: UTF-8 needs at most 3 bytes per UTF-16 code unit.
  let bound = headroom + MAGIC.length + 8;
  for (const f of fields) bound += 4 + (f === null ? 0 : typeof f === 'string' ? 3 * f.length : f.length);
  if (bound > scratch.length) scratch = Buffer.allocUnsafe(Math.max(bound, 2 * scratch.length));
  const out = scratch;
  let at = headroom + (fields.length > FORMAT_1_FIELDS ? MAGIC_V2 : MAGIC).copy(out, headroom);
  out.writeUInt32BE(Math.floor(entry.seq / 0x100000000), at);
  out.writeUInt32BE(entry.seq % 0x100000000, at + 4);
  at += 8;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === null) {
      out.writeUInt32BE(NULL_LENGTH, at);
      at += 4;
    } else if (typeof f === 'string') {
      const asHex = hexBlobs && (i === REASON_FIELD || i === DETAIL_FIELD);
      const written = out.write(f, at + 4, asHex ? 'hex' : 'utf8');
      if (asHex && 2 * written !== f.length) throw new RangeError('ciphertext hex is malformed');
      out.writeUInt32BE(written, at);
      at += 4 + written;
    } else {
      out.writeUInt32BE(f.length, at);
      out.set(f, at + 4);
      at += 4 + f.length;
    }
  }
  return out.subarray(0, at);
}

/**
 * The compact range of a Merkle tree growing from the left: one subtree hash per set bit of its size
 * (largest first). Appending is amortised one node hash; the root folds the range right to left.
 * `H` is how a hash is held: a Buffer ({@link Frontier}) or lowercase hex ({@link HexFrontier}).
 */
abstract class CompactRange<H> {
  protected constructor(
    private size_: number,
    protected readonly hashes: H[],
  ) {}

  protected abstract node(left: H, right: H): H;
  protected abstract emptyRoot(): H;

  get size(): number {
    return this.size_;
  }

  /**
   * Adds the next leaf hash. `onNode(level, index)` is told of every complete subtree this creates:
   * the subtree of 2^level leaves starting at leaf index·2^level.
   */
  append(leaf: H, onNode?: (level: number, index: number, hash: H) => void): void {
    let h = leaf;
    let s = this.size_;
    let level = 0;
    const next = this.size_ + 1;
    while (s % 2 === 1) {
      h = this.node(this.hashes.pop()!, h);
      s = Math.floor(s / 2);
      level++;
      onNode?.(level, next / 2 ** level - 1, h);
    }
    this.hashes.push(h);
    this.size_ = next;
  }

  /** MTH of all leaves so far. */
  root(): H {
    if (this.hashes.length === 0) return this.emptyRoot();
    let r: H = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i--) r = this.node(this.hashes[i]!, r);
    return r;
  }
}

/** The compact range over Buffer hashes, as the sequencer stores it in the head row. */
export class Frontier extends CompactRange<Buffer> {
  static empty(): Frontier {
    return new Frontier(0, []);
  }

  /** Restores a frontier saved with {@link serialize}; throws if the bytes cannot belong to `size`. */
  static restore(size: number, bytes: Uint8Array): Frontier {
    const count = popcount(size);
    if (bytes.length !== count * HASH_BYTES) throw new RangeError('frontier does not match the tree size');
    const hashes: Buffer[] = [];
    for (let i = 0; i < count; i++)
      hashes.push(Buffer.from(bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
    return new Frontier(size, hashes);
  }

  protected node(left: Buffer, right: Buffer): Buffer {
    return nodeHash(left, right);
  }

  protected emptyRoot(): Buffer {
    return EMPTY_ROOT;
  }

  serialize(): Buffer {
    return Buffer.concat(this.hashes);
  }
}

/** The compact range over hex hashes: what the verifier folds a million leaves into without Buffers. */
export class HexFrontier extends CompactRange<string> {
  static empty(): HexFrontier {
    return new HexFrontier(0, []);
  }

  protected node(left: string, right: string): string {
    return nodeHashHex(left, right);
  }

  protected emptyRoot(): string {
    return EMPTY_ROOT_HEX;
  }

  /** The same bytes {@link Frontier.serialize} gives for the same leaves. */
  serialize(): Buffer {
    return Buffer.from(this.hashes.join(''), 'hex');
  }
}

function popcount(n: number): number {
  let count = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) count += x % 2;
  return count;
}

/** The chained view of a stored row, at position `seq` (the verifier passes the position it expects). */
export function chainedFromRow(row: AuditEntriesTable, seq: number): ChainedEntry {
  return {
    seq,
    id: row.id,
    tenantId: row.tenant_id,
    time: row.time,
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome,
    reasonCt: row.reason_ct,
    detailCt: row.detail_ct,
    subjectId: row.subject_id,
    policyIds: row.policy_ids,
    clientIp: row.client_ip,
    requestId: row.request_id,
    sessionId: row.session_id ?? null,
  };
}
