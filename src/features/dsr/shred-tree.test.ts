import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ShredTree, SHRED_DEPTH } from './shred-tree.ts';

test('secrets are stable, distinct per leaf, and survive puncturing other leaves', () => {
  const root = randomBytes(32);
  const tree = new ShredTree([['', root]]);
  const leaves = [...Array.from({ length: 40 }, (_, i) => i), 2 ** 39 + 5, 123_456_789];
  const before = leaves.map((l) => tree.secret(l)!);
  assert.equal(new Set(before.map((b) => b.toString('hex'))).size, leaves.length);
  for (const l of [3, 17, 2 ** 39 + 5]) assert.equal(tree.puncture(l), true);
  for (const [i, l] of leaves.entries()) {
    if ([3, 17, 2 ** 39 + 5].includes(l)) assert.equal(tree.secret(l), undefined);
    else assert.deepEqual(tree.secret(l), before[i], `leaf ${l}`);
  }
  assert.equal(tree.puncture(3), false, 'a punctured leaf stays punctured');
  assert.ok(tree.size <= 3 * SHRED_DEPTH, 'puncturing costs at most one seed per level');
  // The cached path and a fresh tree over the same state agree.
  const copy = new ShredTree(tree.entries());
  for (const [i, l] of leaves.entries())
    assert.deepEqual(copy.secret(l) ?? null, tree.secret(l) ?? null, String(i));
});

test('no seed left after puncturing covers the punctured leaf', () => {
  const tree = new ShredTree([['', randomBytes(32)]]);
  const leaf = 987_654;
  assert.ok(tree.secret(leaf));
  tree.puncture(leaf);
  const bits = leaf.toString(2).padStart(SHRED_DEPTH, '0');
  for (const [prefix] of tree.entries()) assert.ok(!bits.startsWith(prefix));
  assert.equal(tree.secret(leaf), undefined);
});

test('a random leaf costs at most 10 HMACs once its group of 1,024 was seen, and the secrets agree', () => {
  const root = randomBytes(32);
  const tree = new ShredTree([['', root]]);
  const customers = 1_000_000;
  for (let leaf = 0; leaf < customers; leaf += 1024) tree.secret(leaf); // every group seen once
  const fresh = new ShredTree([['', root]]);
  for (let k = 0; k < 300; k++) {
    const leaf = (k * 104_729 + 7) % customers;
    const before = tree.derivations;
    const secret = tree.secret(leaf)!;
    assert.ok(tree.derivations - before <= 10, `leaf ${leaf}: ${tree.derivations - before} HMACs`);
    assert.deepEqual(secret, fresh.secret(leaf));
  }
  // Neighbours of the last leaf reuse its path: a consecutive leaf costs a couple of HMACs.
  const next = tree.derivations;
  tree.secret(((299 * 104_729 + 7) % customers) + 1);
  assert.ok(tree.derivations - next <= 2);
});
