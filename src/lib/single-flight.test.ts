import assert from 'node:assert/strict';
import { test } from 'node:test';
import { singleFlight } from './single-flight.ts';

test('concurrent callers of one key share a single load; later calls load again', async () => {
  const run = singleFlight<number>();
  let loads = 0;
  const load = async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 5));
    return loads;
  };
  const first = await Promise.all(Array.from({ length: 50 }, () => run('a', load)));
  assert.deepEqual(new Set(first), new Set([1]));
  assert.equal(await run('a', load), 2);
  assert.equal(loads, 2);
});

test('a failed load is not cached: the next caller retries', async () => {
  const run = singleFlight<number>();
  await assert.rejects(
    run('k', () => Promise.reject(new Error('down'))),
    /down/,
  );
  assert.equal(await run('k', () => Promise.resolve(7)), 7);
});
