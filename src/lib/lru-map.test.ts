import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruMap } from './lru-map.ts';

test('over thousands of random operations the map holds exactly what a plain LRU model holds', () => {
  const capacity = 50;
  const evicted: string[] = [];
  const map = new LruMap<string, number>(capacity, (key) => evicted.push(key));
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
    const op = random(12);
    if (op < 5) {
      map.set(id, step);
      touch(id);
      if (model.length > capacity) assert.equal(evicted.at(-1), model.shift(), `step ${step}: evicts`);
    } else if (op < 9) {
      const found = map.get(id) !== undefined;
      assert.equal(found, model.includes(id), `step ${step}: get ${id}`);
      if (found) touch(id);
    } else if (op < 10) {
      assert.equal(map.peek(id) !== undefined, model.includes(id), `step ${step}: peek ${id}`);
    } else {
      map.delete(id);
      model = model.filter((m) => m !== id);
    }
    assert.equal(map.size, model.length, `step ${step}: size`);
  }
  // values() runs least recently used first, as the model does; peek changed nothing.
  assert.deepEqual(
    [...map.values()],
    model.map((id) => map.peek(id)),
  );
  for (let i = 0; i < capacity + 10; i++) {
    map.set(`fresh${i}`, -i);
    model.push(`fresh${i}`);
    if (model.length > capacity) {
      const oldest = model.shift()!;
      assert.equal(evicted.at(-1), oldest);
      assert.equal(map.has(oldest), false);
    }
  }
  assert.equal(map.size, capacity);
});

test('replacing a value keeps one entry and counts as use; deleting returns the value', () => {
  const map = new LruMap<string, number>(2);
  map.set('a', 1);
  map.set('b', 2);
  map.set('a', 3);
  map.set('c', 4);
  assert.equal(map.size, 2);
  assert.equal(map.has('b'), false);
  assert.equal(map.get('a'), 3);
  assert.equal(map.delete('a'), 3);
  assert.equal(map.delete('a'), undefined);
  map.clear();
  assert.equal(map.size, 0);
  assert.deepEqual([...map.values()], []);
});

test('a capacity below one is refused', () => {
  assert.throws(() => new LruMap(0), /capacity/);
});

test('a full map evicts exactly one entry per insertion, oldest first', () => {
  const evictions: number[] = [];
  const map = new LruMap<number, number>(1000, (key) => evictions.push(key));
  for (let i = 0; i < 5000; i++) map.set(i, i);
  assert.equal(evictions.length, 4000);
  assert.deepEqual(evictions.slice(0, 3), [0, 1, 2]);
  assert.equal(map.size, 1000);
});

test('dropOldestWhile removes least recently used entries until one is not stale', () => {
  const map = new LruMap<string, number>(Infinity);
  for (const [key, at] of [
    ['a', 1],
    ['b', 2],
    ['c', 3],
    ['d', 4],
  ] as const)
    map.set(key, at);
  map.get('a'); // a is now the most recently used: it is not reached
  const dropped: number[] = [];
  map.dropOldestWhile(
    (at) => at <= 3,
    (at) => dropped.push(at),
  );
  assert.deepEqual(dropped, [2, 3]);
  assert.deepEqual([...map.values()], [4, 1]);
  map.dropOldestWhile(() => true);
  assert.equal(map.size, 0);
});
