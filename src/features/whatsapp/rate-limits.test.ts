import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket, createSendLimiter } from './rate-limits.ts';

test('a bucket gives its capacity at once, then refills at its rate', () => {
  let t = 0;
  const bucket = new TokenBucket(3, 2, () => t);
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0]);
  assert.equal(bucket.take(), 500);
  t = 500;
  assert.equal(bucket.take(), 0);
});

test('the pair limit allows a burst of 45 to one recipient, then one per 6 s; others are unaffected', () => {
  let t = 0;
  const limiter = createSendLimiter({ perSecond: 1000, now: () => t });
  for (let i = 0; i < 45; i++) assert.equal(limiter.reserve('pn', 'alice'), 0);
  assert.ok(limiter.reserve('pn', 'alice') > 5000);
  assert.equal(limiter.reserve('pn', 'bob'), 0);
  t = 6000;
  assert.equal(limiter.reserve('pn', 'alice'), 0);
});

test('the number throughput caps sends per second across recipients, without eating pair tokens', () => {
  let t = 0;
  const limiter = createSendLimiter({ perSecond: 80, now: () => t });
  for (let i = 0; i < 80; i++) assert.equal(limiter.reserve('pn', `r${i}`), 0);
  assert.ok(limiter.reserve('pn', 'r-extra') > 0);
  t = 1000;
  for (let i = 0; i < 45; i++) assert.equal(limiter.reserve('pn', 'r-extra'), 0, `burst ${i}`);
});
