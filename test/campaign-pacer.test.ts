import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalPacer } from '../src/features/campaigns/pacer.ts';

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Most stamps in any span shorter than a second. */
function fullestSecond(stamps: number[]): number {
  const at = [...stamps].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

test('the local pacer holds a place per call until a second after its answer, and a late timer loses nothing', async () => {
  let t = 5_000_000;
  const pacer = createLocalPacer(() => t);
  const granted: (() => void)[] = [];
  for (let i = 0; i < 250; i++) void pacer.acquire('pn|100', 100).then((answered) => granted.push(answered));
  await until(() => granted.length === 100, 'the first second of calls');
  await sleep(60);
  assert.equal(granted.length, 100, 'unanswered calls hold their places');
  t += 20;
  for (const answered of granted) answered();
  t += 999;
  await sleep(60);
  assert.equal(granted.length, 100, 'answered calls hold their places for a second');
  // The timer is far behind now: every call it owes goes at once, none is lost.
  t += 5000;
  await until(() => granted.length === 200, 'the owed calls');
  granted.slice(100).forEach((answered) => answered());
  t += 1000;
  await until(() => granted.length === 250, 'the rest');
  granted.slice(200).forEach((answered) => answered());
  // Another number has its own places.
  let other = 0;
  void pacer.acquire('pn2|100', 100).then((answered) => (other++, answered()));
  await until(() => other === 1, 'the other number');
});

test('however late calls reach Meta, no second there ever sees more than the rate', async () => {
  let t = 9_000_000;
  const pacer = createLocalPacer(() => t);
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const stamps: number[] = [];
  const flying: { stampAt: number; answerAt: number; answered: () => void; stamped: boolean }[] = [];
  let granted = 0;
  for (let i = 0; i < 200; i++)
    void pacer.acquire('pn|40', 40).then((answered) => {
      granted++;
      // Answers take up to 400 ms; Meta stamps the call anywhere between its start and its answer.
      const latency = Math.floor(random() * 400);
      flying.push({
        stampAt: t + Math.floor(random() * (latency + 1)),
        answerAt: t + latency,
        answered,
        stamped: false,
      });
    });
  for (let step = 0; stamps.length < 200; step++) {
    assert.ok(step < 20_000, 'every call goes out');
    t += Math.floor(random() * 25);
    for (const f of flying) {
      if (!f.stamped && f.stampAt <= t) {
        f.stamped = true;
        stamps.push(f.stampAt);
      }
    }
    for (const f of flying.filter((x) => x.answerAt <= t && x.stamped)) {
      flying.splice(flying.indexOf(f), 1);
      f.answered();
    }
    await sleep(1);
  }
  assert.equal(granted, 200);
  assert.ok(fullestSecond(stamps) <= 40, `fullest second ${fullestSecond(stamps)}`);
});

test('a slow answer holds its place until a second after the answer: Meta may have stamped it late', async () => {
  const t0 = 7_000_000;
  let t = t0;
  const pacer = createLocalPacer(() => t);
  (await pacer.acquire('pn|1', 1))();
  t = t0 + 2000;
  const first = await pacer.acquire('pn|1', 1);
  t += 500; // a slow answer
  first();
  let second = false;
  void pacer.acquire('pn|1', 1).then((answered) => ((second = true), answered()));
  t = t0 + 2000 + 500 + 999;
  await sleep(60);
  assert.equal(second, false, 'not within a second of the answer');
  t += 1;
  await until(() => second, 'the next call, a second after the first one’s answer');
});
