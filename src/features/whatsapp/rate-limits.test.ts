import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenBucket, createSendLimiter, type Release } from './rate-limits.ts';

/** A reply's place, or a failure naming the wait. */
async function place(limiter: ReturnType<typeof createSendLimiter>, who: string, maxWaitMs = 20) {
  const got = await limiter.reserve('pn', who, maxWaitMs);
  return 'release' in got ? got.release : got.wait;
}

test('a bucket gives its capacity at once, then refills at its rate', () => {
  let t = 0;
  const bucket = new TokenBucket(3, 2, () => t);
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0]);
  assert.equal(bucket.take(), 500);
  t = 500;
  assert.equal(bucket.take(), 0);
});

test('the pair limit allows a burst of 45 to one recipient, then one per 6.5 s; others are unaffected', async () => {
  let t = 0;
  const limiter = createSendLimiter({ perSecond: 1000, now: () => t });
  for (let i = 0; i < 45; i++) {
    const release = await place(limiter, 'alice');
    assert.equal(typeof release, 'function', `burst ${i}`);
    (release as Release)();
  }
  assert.ok(((await place(limiter, 'alice')) as number) > 5000);
  assert.equal(typeof (await place(limiter, 'bob')), 'function');
  t = 6000;
  assert.equal(typeof (await place(limiter, 'alice')), 'number', 'a margin over Meta’s 6 s');
  t = 6400;
  assert.equal(typeof (await place(limiter, 'alice')), 'number', 'still within the margin');
  t = 6500;
  assert.equal(typeof (await place(limiter, 'alice')), 'function');
  // Campaigns draw on the same pair tokens.
  assert.ok(limiter.takePair('pn', 'alice') > 5000);
});

test('the number window caps calls across recipients until a second after their answers, without eating pair tokens', async () => {
  let t = 0;
  const limiter = createSendLimiter({ perSecond: 80, now: () => t });
  const held: Release[] = [];
  for (let i = 0; i < 80; i++) held.push((await place(limiter, `r${i}`)) as Release);
  assert.equal(typeof (await place(limiter, 'r-extra')), 'number', 'the 81st waits');
  t = 10;
  held.forEach((answered) => answered());
  t = 1009;
  assert.equal(typeof (await place(limiter, 'r-extra')), 'number', 'answered calls count for a second');
  t = 1010;
  for (let i = 0; i < 45; i++) {
    const release = await place(limiter, 'r-extra');
    assert.equal(typeof release, 'function', `burst ${i}`);
    (release as Release)(false);
  }
});

test('campaign calls and replies share one window per number, first come first served', async () => {
  let t = 0;
  const limiter = createSendLimiter({ perSecond: 3, now: () => t });
  const campaign = await Promise.all([limiter.acquire('pn'), limiter.acquire('pn'), limiter.acquire('pn')]);
  assert.equal(typeof (await place(limiter, 'alice')), 'number', 'a reply waits for the campaign’s calls');
  // A reply waiting in line goes before a campaign call that asked after it.
  const order: string[] = [];
  const reply = limiter.reserve('pn', 'bob', 5000).then((r) => (order.push('reply'), r));
  const later = limiter.acquire('pn').then((r) => (order.push('campaign'), r));
  await sleep(5);
  assert.deepEqual(order, []);
  campaign[0](false); // a campaign call that never went frees its place at once
  await sleep(5);
  assert.deepEqual(order, ['reply']);
  t = 100;
  campaign[1]();
  t = 1099;
  await sleep(5);
  assert.deepEqual(order, ['reply'], 'an answered call holds its place for a second');
  t = 1100;
  for (let i = 0; i < 300 && order.length < 2; i++) await sleep(10); // the lane's timer wakes it
  assert.deepEqual(order, ['reply', 'campaign']);
  const got = await reply;
  assert.ok('release' in got);
  got.release();
  (await later)();
  campaign[2]();
  // Another number has its own window.
  (await limiter.acquire('pn2'))();
});

test('a number Meta reports upgraded (throughput HIGH) gets 1,000 a second; STANDARD the configured rate', () => {
  const limiter = createSendLimiter({ perSecond: 80 });
  assert.equal(limiter.throughputOf('pn'), 80);
  limiter.useLevel('pn', 'HIGH');
  assert.equal(limiter.throughputOf('pn'), 1000);
  limiter.useLevel('pn', 'STANDARD');
  assert.equal(limiter.throughputOf('pn'), 80);
  limiter.useLevel('pn', undefined);
  assert.equal(limiter.throughputOf('pn'), 80);
});
