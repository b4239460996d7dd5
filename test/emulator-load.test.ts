import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emulatorFor, messagesIn, startReceiver } from './emulator-support.ts';

describe('Cloud API emulator: load mode', () => {
  test('200 messages a second for 2 seconds, one per delivery, are paced within 10%', async () => {
    const receiver = await startReceiver();
    const emulator = await emulatorFor(receiver);
    try {
      assert.equal(await emulator.subscribe(), true);
      const report = await emulator.startLoad({ rate: 200, seconds: 2 }).done;
      const posts = receiver.posts();
      assert.equal(posts.length, 400);
      assert.equal(messagesIn(posts).length, 400);
      assert.ok(posts.every((p) => p.signatureValid));
      // Pacing: the whole run within 10% of 2 s, and most messages on their schedule (message i due
      // at first + 5i ms). A stall on a busy machine is caught up at once instead of shifting the tail.
      const first = posts[0]!.at;
      const span = posts.at(-1)!.at - first;
      assert.ok(span >= 1_795 && span <= 2_195, `400 messages took ${Math.round(span)} ms`);
      const lateness = posts.map((p, i) => p.at - first - i * 5).sort((x, y) => x - y);
      const median = lateness[200]!;
      const halves = [0, 1].map((h) => posts.filter((p) => Math.floor((p.at - first) / 1_000) === h).length);
      assert.ok(median < 25, `median lateness ${median.toFixed(1)} ms; per second: ${halves.join(', ')}`);
      assert.equal(report.sent, 400);
      assert.equal(report.deliveries, 400);
      assert.equal(report.acked, 400);
      assert.equal(report.retried, 0);
      assert.ok(Math.abs(report.achievedRate - 200) <= 20, `achieved ${report.achievedRate}/s`);
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });

  test('batched load puts several messages in each delivery and counts retries', async () => {
    const receiver = await startReceiver();
    const emulator = await emulatorFor(receiver, {
      retry: { baseMs: 10, horizonMs: 10_000, timeoutMs: 1_000 },
    });
    try {
      receiver.respond = (_r, index) => (index % 7 === 3 ? 500 : 200);
      const report = await emulator.startLoad({
        rate: 500,
        seconds: 0.5,
        batch: 25,
        kinds: ['text', 'image', 'button'],
      }).done;
      assert.equal(report.sent, 250);
      assert.equal(report.deliveries, 10);
      assert.equal(report.acked, 10);
      assert.ok(report.retried > 0);
      const unique = new Set(messagesIn(receiver.posts().filter((_p, i) => i % 7 !== 3)).map((m) => m.id));
      assert.equal(unique.size, 250, 'every message arrives once the retries succeed');
      assert.deepEqual(
        new Set(messagesIn(receiver.posts()).map((m) => m.type)),
        new Set(['text', 'image', 'button']),
      );
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });

  test('load mode only aims at a callback on loopback, and stop() ends a run early', async () => {
    const remote = await emulatorFor(undefined, {
      callbackUrl: 'http://192.0.2.10/webhooks',
      allowRemoteCallback: true,
    });
    try {
      assert.throws(() => remote.startLoad({ rate: 10, seconds: 1 }), /loopback/);
    } finally {
      await remote.close();
    }
    const receiver = await startReceiver();
    const emulator = await emulatorFor(receiver);
    try {
      const run = emulator.startLoad({ rate: 100, seconds: 10 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      run.stop();
      const report = await run.done;
      assert.ok(report.sent > 5 && report.sent < 100, `${report.sent} sent before stop`);
      assert.equal(report.acked, report.deliveries);
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });
});
