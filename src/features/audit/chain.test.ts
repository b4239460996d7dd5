import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  GENESIS,
  GENESIS_HEX,
  canonicalEntry,
  chainHash,
  chainHashHex,
  leafData,
  type ChainedEntry,
} from './chain.ts';
import { leafHash } from './merkle.ts';

const entry: ChainedEntry = {
  seq: 7,
  id: 'ae_01jd3k0000000000000000000a',
  tenantId: 'tn_01jd3k0000000000000000000b',
  time: '2026-01-02T03:04:05.678Z',
  actorType: 'operator',
  actorId: 'op_1',
  action: 'sensitive_read',
  targetType: 'contact',
  targetId: 'ct_1',
  outcome: 'success',
  reasonCt: Buffer.from([1, 2, 3]),
  detailCt: null,
  subjectId: 'ct_1',
  policyIds: '["agent-assigned"]',
  clientIp: '127.0.0.1',
  requestId: 'rq_1',
};

test('the canonical form is deterministic and starts with a versioned magic', () => {
  const bytes = canonicalEntry(entry);
  assert.deepEqual(bytes, canonicalEntry({ ...entry }));
  assert.deepEqual(bytes.subarray(0, 4), Buffer.from('CVA\x01', 'latin1'));
  assert.equal(bytes.readUInt32BE(8), 7);
});

test('every field change, and moving bytes between adjacent fields, changes the canonical form', () => {
  const base = canonicalEntry(entry).toString('hex');
  const variants: Array<Partial<ChainedEntry>> = [
    { seq: 8 },
    { id: 'ae_x' },
    { tenantId: 'tn_x' },
    { time: '2026-01-02T03:04:05.679Z' },
    { actorType: 'system' },
    { actorId: 'op_2' },
    { action: 'sensitive_export' },
    { targetType: 'message' },
    { targetId: 'ct_2' },
    { outcome: 'denied' },
    { reasonCt: Buffer.from([1, 2, 4]) },
    { reasonCt: null },
    { detailCt: Buffer.alloc(0) },
    { subjectId: null },
    { policyIds: '[]' },
    { clientIp: null },
    { requestId: '' },
    { actorType: 'operatoro', actorId: 'p_1' },
    { targetType: 'contac', targetId: 'tct_1' },
  ];
  const seen = new Set([base]);
  for (const v of variants) {
    const hex = canonicalEntry({ ...entry, ...v }).toString('hex');
    assert.ok(!seen.has(hex), `variant ${JSON.stringify(v)} collides`);
    seen.add(hex);
  }
});

test('seq beyond 32 bits is encoded exactly', () => {
  const bytes = canonicalEntry({ ...entry, seq: 2 ** 40 + 5 });
  assert.equal(bytes.readBigUInt64BE(4), 2n ** 40n + 5n);
});

test('the chain hash is SHA-256(0x00 | previous | canonical), which is the RFC 6962 hash of the leaf', () => {
  const previous = createHash('sha256').update('previous').digest();
  const expected = createHash('sha256')
    .update(Buffer.concat([Buffer.of(0), previous, canonicalEntry(entry)]))
    .digest();
  assert.deepEqual(chainHash(previous, entry), expected);
  assert.deepEqual(leafHash(leafData(previous, entry)), expected);
  assert.notDeepEqual(chainHash(GENESIS, entry), expected);
  assert.equal(GENESIS.length, 32);
  assert.ok(GENESIS.every((b) => b === 0));
});

test("the verifier's hex path hashes exactly the bytes the sequencer hashed", () => {
  const previous = createHash('sha256').update('previous').digest();
  const variants: Array<Partial<ChainedEntry>> = [
    {},
    { reasonCt: null, detailCt: Buffer.from([0, 255, 16]) },
    { reasonCt: Buffer.alloc(0), detailCt: Buffer.alloc(0) },
    { subjectId: null, clientIp: null, requestId: null },
    { actorId: 'op_é_中_😀', policyIds: '["a","b"]' },
    { seq: 2 ** 40 + 5 },
  ];
  for (const v of variants) {
    const e = { ...entry, ...v };
    const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));
    const { reasonCt, detailCt, ...rest } = e;
    const asRead = { ...rest, reasonCtHex: hex(reasonCt), detailCtHex: hex(detailCt) };
    assert.equal(chainHashHex(previous.toString('hex'), asRead), chainHash(previous, e).toString('hex'));
    // SQLite's hex() is upper case: the same bytes.
    const upper = { ...asRead, reasonCtHex: asRead.reasonCtHex?.toUpperCase() ?? null };
    assert.equal(chainHashHex(previous.toString('hex'), upper), chainHash(previous, e).toString('hex'));
  }
  assert.equal(
    chainHashHex(GENESIS_HEX, { ...entry, reasonCtHex: null, detailCtHex: null }),
    chainHash(GENESIS, { ...entry, reasonCt: null, detailCt: null }).toString('hex'),
  );
  assert.throws(() => chainHashHex('00', { ...entry, reasonCtHex: null, detailCtHex: null }), RangeError);
  assert.throws(
    () => chainHashHex(GENESIS_HEX, { ...entry, reasonCtHex: '0g', detailCtHex: null }),
    RangeError,
  );
});
