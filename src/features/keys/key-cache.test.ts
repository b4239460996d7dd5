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

test('an evicted key is zeroed after the grace period, not while a request may still hold it', async () => {
  const cache = new KeyCache<{ id: number; key: Buffer }>(1, { zeroEvictedAfterMs: 50 });
  const first = key(3);
  cache.set('a', first);
  cache.set('b', key(4)); // evicts a
  assert.equal(cache.get('a'), undefined);
  assert.ok(
    first.key.every((x) => x === 3),
    'intact right after eviction',
  );
  assert.equal(cache.retiredCount, 1);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.ok(
    first.key.every((x) => x === 0),
    'zeroed once the grace period passed',
  );
  assert.equal(cache.retiredCount, 0);
});

test('sealing zeroes evicted keys still in their grace period too', () => {
  const cache = new KeyCache<{ id: number; key: Buffer }>(1, { zeroEvictedAfterMs: 60_000 });
  const first = key(5);
  const second = key(6);
  cache.set('a', first);
  cache.set('b', second);
  cache.clear();
  assert.ok(
    first.key.every((x) => x === 0),
    'the evicted key',
  );
  assert.ok(
    second.key.every((x) => x === 0),
    'the cached key',
  );
  assert.equal(cache.retiredCount, 0);
});
