import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyCache } from './key-cache.ts';

const key = (fill: number) => ({ id: 1, key: Buffer.alloc(32, fill) });

test('the cache keeps at most its capacity, evicting the least recently used first', () => {
  const cache = new KeyCache<{ id: number; key: Buffer }>(2);
  const a = key(1);
  const b = key(2);
  const c = key(3);
  cache.set('a', a);
  cache.set('b', b);
  cache.get('a');
  cache.set('c', c);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b'), undefined);
  // Evicted, not zeroed: a request that took `b` before the eviction may still be using it.
  assert.ok(b.key.every((x) => x === 2));
  assert.ok(a.key.every((x) => x === 1));
});

test('replacing an entry leaves the buffer another caller still holds intact', () => {
  const cache = new KeyCache<{ id: number; key: Buffer }>(4);
  const first = key(5);
  cache.set('k', first);
  cache.set('k', key(5));
  assert.ok(first.key.every((x) => x === 5));
});

test('deleting a key (destroyed) zeroes it', () => {
  const cache = new KeyCache<{ id: number; key: Buffer }>(4);
  const k = key(9);
  cache.set('k', k);
  cache.delete('k');
  assert.ok(k.key.every((x) => x === 0));
});

test('clearing zeroes every key', () => {
  const cache = new KeyCache<Buffer>(10);
  const keys = [Buffer.alloc(32, 7), Buffer.alloc(32, 8)];
  keys.forEach((k, i) => cache.set(String(i), k));
  cache.clear();
  assert.equal(cache.size, 0);
  assert.ok(keys.every((k) => k.every((x) => x === 0)));
});

test('over thousands of random operations the cache holds exactly what a plain LRU model holds', () => {
  const capacity = 50;
  const cache = new KeyCache<Buffer>(capacity);
  let model: string[] = []; // least recently used first
  const touch = (id: string) => {
    model = model.filter((m) => m !== id);
    model.push(id);
  };
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  for (let step = 0; step < 20_000; step++) {
    const id = `k${random(120)}`;
    const op = random(10);
    if (op < 5) {
      cache.set(id, Buffer.alloc(32, 1));
      touch(id);
      if (model.length > capacity) model.shift();
    } else if (op < 9) {
      const found = cache.get(id) !== undefined;
      assert.equal(found, model.includes(id), `step ${step}: get ${id}`);
      if (found) touch(id);
    } else {
      cache.delete(id);
      model = model.filter((m) => m !== id);
    }
    assert.equal(cache.size, model.length, `step ${step}: size`);
  }
  // Fresh insertions evict exactly the model's least recently used entry, one by one.
  for (let i = 0; i < capacity + 10; i++) {
    cache.set(`fresh${i}`, Buffer.alloc(32, 2));
    model.push(`fresh${i}`);
    if (model.length > capacity) {
      const evicted = model.shift()!;
      assert.equal(cache.get(evicted), undefined, `evicts ${evicted}`);
    }
    assert.equal(cache.size, model.length);
  }
  assert.ok(model.every((id) => cache.get(id) !== undefined));
});
