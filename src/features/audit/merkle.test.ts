import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Frontier, HexFrontier } from './chain.ts';
import {
  EMPTY_ROOT,
  EMPTY_ROOT_HEX,
  consistencyRanges,
  inclusionRanges,
  leafHash,
  nodeHash,
  nodeHashHex,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type Range,
} from './merkle.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

// Certificate Transparency's reference leaves and roots (RFC 6962 test data).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
]
  .map(unhex)
  .map(leafHash);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const N = 64;
const LEAVES = Array.from({ length: N }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const ROOTS = Array.from({ length: N + 1 }, (_, n) => treeHash(LEAVES, 0, n));
const prove = (ranges: Range[]) => ranges.map(([lo, hi]) => treeHash(LEAVES, lo, hi));

/** Ways to spoil a proof: flip a bit in each element, drop, add, or swap elements. */
function spoiled(proof: Buffer[]): Buffer[][] {
  const out: Buffer[][] = [];
  proof.forEach((_, i) => {
    const flipped = proof.map((p) => Buffer.from(p));
    flipped[i]![i % 32]! ^= 0x01;
    out.push(flipped);
  });
  if (proof.length > 0) out.push(proof.slice(0, -1), proof.slice(1));
  out.push([...proof, Buffer.alloc(32, 0xab)], [Buffer.alloc(32, 0xab), ...proof]);
  if (proof.length >= 2 && !proof[0]!.equals(proof[1]!)) out.push([proof[1]!, proof[0]!, ...proof.slice(2)]);
  return out;
}

test('the empty tree hash is SHA-256 of the empty string', () => {
  assert.equal(hex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(Frontier.empty().root()), hex(EMPTY_ROOT));
});

test('leaves and nodes carry the 0x00 / 0x01 domain prefixes', () => {
  const [a, b] = [Buffer.from('a'), Buffer.from('b')];
  assert.deepEqual(leafHash(a), sha256(Buffer.concat([Buffer.of(0), a])));
  const [la, lb] = [leafHash(a), leafHash(b)];
  assert.deepEqual(nodeHash(la, lb), sha256(Buffer.concat([Buffer.of(1), la, lb])));
});

test('small trees built by hand split at the largest power of two below n', () => {
  const [l0, l1, l2, l3, l4] = LEAVES as [Buffer, Buffer, Buffer, Buffer, Buffer];
  assert.deepEqual(treeHash(LEAVES, 0, 1), l0);
  assert.deepEqual(treeHash(LEAVES, 0, 2), nodeHash(l0, l1));
  assert.deepEqual(treeHash(LEAVES, 0, 3), nodeHash(nodeHash(l0, l1), l2));
  assert.deepEqual(treeHash(LEAVES, 0, 4), nodeHash(nodeHash(l0, l1), nodeHash(l2, l3)));
  assert.deepEqual(treeHash(LEAVES, 0, 5), nodeHash(nodeHash(nodeHash(l0, l1), nodeHash(l2, l3)), l4));
});

test('the Certificate Transparency reference roots for sizes 1 to 8 come out', () => {
  const frontier = Frontier.empty();
  CT_LEAVES.forEach((leaf, i) => {
    frontier.append(leaf);
    assert.equal(hex(frontier.root()), CT_ROOTS[i], `size ${i + 1}`);
    assert.equal(hex(treeHash(CT_LEAVES, 0, i + 1)), CT_ROOTS[i]);
  });
});

test('the Certificate Transparency reference proofs come out and verify', () => {
  const ctProve = (ranges: Range[]) => ranges.map(([lo, hi]) => hex(treeHash(CT_LEAVES, lo, hi)));
  const root8 = unhex(CT_ROOTS[7]!);
  const inclusion0 = [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ];
  const inclusion5 = [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ];
  assert.deepEqual(ctProve(inclusionRanges(0, 8)), inclusion0);
  assert.deepEqual(ctProve(inclusionRanges(5, 8)), inclusion5);
  assert.ok(verifyInclusion(CT_LEAVES[0]!, 0, 8, inclusion0.map(unhex), root8));
  assert.ok(verifyInclusion(CT_LEAVES[5]!, 5, 8, inclusion5.map(unhex), root8));

  const consistency2 = inclusion0.slice(1);
  const consistency6 = [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ];
  assert.deepEqual(ctProve(consistencyRanges(2, 8)), consistency2);
  assert.deepEqual(ctProve(consistencyRanges(6, 8)), consistency6);
  assert.ok(verifyConsistency(2, 8, unhex(CT_ROOTS[1]!), root8, consistency2.map(unhex)));
  assert.ok(verifyConsistency(6, 8, unhex(CT_ROOTS[5]!), root8, consistency6.map(unhex)));
});

test('the incremental frontier gives the RFC root for every size and reports every complete subtree', () => {
  const frontier = Frontier.empty();
  const nodes: Array<[number, number, Buffer]> = [];
  for (let n = 1; n <= N; n++) {
    frontier.append(LEAVES[n - 1]!, (level, index, hash) => nodes.push([level, index, hash]));
    assert.deepEqual(frontier.root(), ROOTS[n], `size ${n}`);
    const restored = Frontier.restore(n, frontier.serialize());
    assert.deepEqual(restored.root(), ROOTS[n]);
  }
  assert.equal(nodes.length, N - 1); // a perfect tree of 64 leaves has 63 inner nodes
  for (const [level, index, hash] of nodes) {
    assert.deepEqual(hash, treeHash(LEAVES, index * 2 ** level, (index + 1) * 2 ** level));
  }
});

test('the hex frontier the verifier uses gives the same roots, nodes and serialized form', () => {
  const frontier = Frontier.empty();
  const hexFrontier = HexFrontier.empty();
  assert.equal(hexFrontier.root(), EMPTY_ROOT_HEX);
  for (let n = 1; n <= N; n++) {
    const nodes: string[] = [];
    const hexNodes: string[] = [];
    frontier.append(LEAVES[n - 1]!, (level, index, hash) => nodes.push(`${level}:${index}:${hex(hash)}`));
    hexFrontier.append(hex(LEAVES[n - 1]!), (level, index, hash) =>
      hexNodes.push(`${level}:${index}:${hash}`),
    );
    assert.deepEqual(hexNodes, nodes);
    assert.equal(hexFrontier.root(), hex(frontier.root()), `size ${n}`);
    assert.deepEqual(hexFrontier.serialize(), frontier.serialize());
  }
  assert.equal(nodeHashHex(hex(LEAVES[0]!), hex(LEAVES[1]!)), hex(nodeHash(LEAVES[0]!, LEAVES[1]!)));
  assert.throws(() => nodeHashHex('ab', hex(LEAVES[1]!)), RangeError);
});

test('every inclusion proof in every tree up to 64 leaves verifies, has at most ⌈log2 n⌉ hashes, and any tampering fails', () => {
  for (let n = 1; n <= N; n++) {
    for (let i = 0; i < n; i++) {
      const proof = prove(inclusionRanges(i, n));
      assert.ok(proof.length <= Math.ceil(Math.log2(n)));
      assert.ok(verifyInclusion(LEAVES[i]!, i, n, proof, ROOTS[n]!), `${i} in ${n}`);
      for (const bad of spoiled(proof))
        assert.equal(verifyInclusion(LEAVES[i]!, i, n, bad, ROOTS[n]!), false);
      if (i + 1 < n) assert.equal(verifyInclusion(LEAVES[i]!, i + 1, n, proof, ROOTS[n]!), false);
      assert.equal(verifyInclusion(LEAVES[(i + 1) % N]!, i, n, proof, ROOTS[n]!), false);
      assert.equal(verifyInclusion(LEAVES[i]!, i, n + 1, proof, ROOTS[n + 1] ?? ROOTS[n]!), false);
      assert.equal(verifyInclusion(LEAVES[i]!, i, n, proof, ROOTS[n - 1]!), false);
    }
  }
});

test('every consistency proof between sizes up to 64 verifies and any tampering fails', () => {
  for (let n = 0; n <= N; n++) {
    for (let m = 0; m <= n; m++) {
      const proof = prove(consistencyRanges(m, n));
      assert.ok(proof.length <= Math.ceil(Math.log2(Math.max(n, 1))) + 1);
      assert.ok(verifyConsistency(m, n, ROOTS[m]!, ROOTS[n]!, proof), `${m} → ${n}`);
      for (const bad of spoiled(proof))
        assert.equal(verifyConsistency(m, n, ROOTS[m]!, ROOTS[n]!, bad), false);
      if (m > 0 && m < n) {
        assert.equal(verifyConsistency(m, n, ROOTS[m - 1]!, ROOTS[n]!, proof), false);
        assert.equal(verifyConsistency(m, n, ROOTS[m]!, ROOTS[n - 1]!, proof), false);
        assert.equal(verifyConsistency(n, m, ROOTS[n]!, ROOTS[m]!, proof), false);
        if (m + 1 < n) assert.equal(verifyConsistency(m + 1, n, ROOTS[m + 1]!, ROOTS[n]!, proof), false);
      }
    }
  }
});

test('malformed input is refused rather than half-checked', () => {
  const proof = prove(inclusionRanges(5, 8));
  assert.equal(verifyInclusion(Buffer.alloc(31), 5, 8, proof, ROOTS[8]!), false);
  assert.equal(verifyInclusion(LEAVES[5]!, 8, 8, proof, ROOTS[8]!), false);
  assert.equal(verifyInclusion(LEAVES[5]!, -1, 8, proof, ROOTS[8]!), false);
  assert.equal(verifyConsistency(4, 4, ROOTS[4]!, ROOTS[5]!, []), false);
  assert.equal(verifyConsistency(0, 8, ROOTS[1]!, ROOTS[8]!, []), false);
  assert.equal(verifyConsistency(3, 8, ROOTS[3]!, ROOTS[8]!, []), false);
  assert.throws(() => inclusionRanges(8, 8), RangeError);
  assert.throws(() => consistencyRanges(5, 3), RangeError);
});
