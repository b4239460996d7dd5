import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { metaJson } from '../src/features/whatsapp/emulator/index.ts';
import {
  APP_SECRET,
  VERIFY_TOKEN,
  emulatorFor,
  messagesIn,
  startReceiver,
  type Receiver,
  type WireEnvelope,
} from './emulator-support.ts';
import type { Emulator } from '../src/features/whatsapp/emulator/index.ts';

async function withEmulator(
  options: Parameters<typeof emulatorFor>[1],
  run: (emulator: Emulator, receiver: Receiver) => Promise<void>,
): Promise<void> {
  const receiver = await startReceiver();
  const emulator = await emulatorFor(receiver, options);
  try {
    await run(emulator, receiver);
  } finally {
    await emulator.close();
    await receiver.close();
  }
}

/** Messages, statuses, errors and preferences in one webhook body. */
const updatesIn = (json: WireEnvelope): number =>
  json.entry
    .flatMap((e) => e.changes)
    .reduce(
      (n, { value: v }) =>
        n +
        (v.messages?.length ?? 0) +
        (v.statuses?.length ?? 0) +
        (v.errors?.length ?? 0) +
        (v.user_preferences?.length ?? 0),
      0,
    );

describe('Cloud API emulator: webhook delivery', () => {
  test('the handshake sends mode, token and challenge, and nothing is delivered until it is echoed', async () => {
    await withEmulator({}, async (emulator, receiver) => {
      receiver.handshake = () => ({ status: 200, body: 'not the challenge' });
      assert.equal(await emulator.subscribe(), false);
      const get = receiver.requests[0]!;
      assert.equal(get.method, 'GET');
      assert.equal(get.url.searchParams.get('hub.mode'), 'subscribe');
      assert.equal(get.url.searchParams.get('hub.verify_token'), VERIFY_TOKEN);
      assert.match(get.url.searchParams.get('hub.challenge') ?? '', /^\d+$/);

      const delivered = emulator.deliver('text', {});
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(receiver.posts().length, 0, 'no POST before a successful handshake');
      assert.ok(receiver.requests.filter((r) => r.method === 'GET').length >= 2, 'the handshake is retried');

      receiver.handshake = (url) => ({ status: 200, body: url.searchParams.get('hub.challenge') ?? '' });
      assert.equal((await delivered).outcome, 'acked');
      assert.equal(receiver.posts().length, 1);
      assert.equal(emulator.stats().webhooks.subscribed, true);
    });
  });

  test('every POST is signed with HMAC-SHA256 of the app secret over the exact bytes sent', async () => {
    await withEmulator({}, async (emulator, receiver) => {
      await emulator.deliver('text', { count: 20, separately: true });
      await emulator.deliver('image', { count: 5 });
      const posts = receiver.posts();
      assert.ok(posts.length >= 21);
      for (const post of posts) {
        assert.equal(post.signatureValid, true);
        assert.match(String(post.headers['x-hub-signature-256']), /^sha256=[0-9a-f]{64}$/);
        assert.equal(post.headers['content-type'], 'application/json');
        assert.equal(Number(post.headers['content-length']), post.raw.length);
      }
    });
  });

  test('bodies escape non-ASCII, "/", "<", ">", "%" and "@" like Meta, so re-serialising breaks the signature', async () => {
    await withEmulator({}, async (emulator, receiver) => {
      const text = 'Zoë/张伟 <b>50%</b> @home 👍';
      await emulator.deliver('text', { text });
      const [post] = receiver.posts();
      const raw = post!.raw.toString('latin1');
      assert.ok(/^[\x20-\x7e]*$/.test(raw), 'the body is pure printable ASCII');
      assert.ok(
        raw.includes(
          'Zo\\u00eb\\/\\u5f20\\u4f1f \\u003Cb\\u003E50\\u0025\\u003C\\/b\\u003E \\u0040home \\ud83d\\udc4d',
        ),
      );
      assert.equal(messagesIn([post!])[0]?.text?.body, text);
      const reserialised = Buffer.from(JSON.stringify(post!.json));
      const resigned = `sha256=${createHmac('sha256', APP_SECRET).update(reserialised).digest('hex')}`;
      assert.notEqual(resigned, post!.headers['x-hub-signature-256']);
      assert.equal(metaJson(post!.json), post!.raw.toString('utf8'), 'metaJson reproduces the exact bytes');
    });
  });

  test('a delivery answered with 500 is retried at once, then with growing gaps, until a 200', async () => {
    await withEmulator(
      { retry: { baseMs: 40, horizonMs: 60_000, timeoutMs: 2_000 } },
      async (emulator, receiver) => {
        receiver.respond = (_r, index) => (index < 4 ? 500 : 200);
        const result = await emulator.deliver('text', {});
        assert.equal(result.outcome, 'acked');
        const times = receiver.posts().map((p) => p.at);
        assert.equal(times.length, 5);
        assert.ok(
          new Set(receiver.posts().map((p) => p.raw.toString())).size === 1,
          'retries resend the same bytes',
        );
        const gaps = times.slice(1).map((t, i) => t - times[i]!);
        assert.ok(gaps[0]! < 30, `first retry is immediate (${gaps[0]} ms)`);
        assert.ok(
          gaps[1]! >= 35 && gaps[2]! >= 75 && gaps[3]! >= 155,
          `gaps grow: ${gaps.map(Math.round).join(', ')}`,
        );
        const stats = emulator.stats().webhooks;
        assert.equal(stats.retried, 4);
        assert.equal(stats.failedAttempts, 4);
        assert.equal(stats.acked, 1);
      },
    );
  });

  test('a dropped connection or a 4xx counts as a failure too, and a delivery is dropped after the horizon', async () => {
    await withEmulator(
      { retry: { baseMs: 20, horizonMs: 150, timeoutMs: 1_000 } },
      async (emulator, receiver) => {
        receiver.respond = (_r, index) => (index === 0 ? 'destroy' : index === 1 ? 401 : 200);
        assert.equal((await emulator.deliver('text', {})).outcome, 'acked');
        receiver.respond = () => 503;
        assert.equal((await emulator.deliver('text', {})).outcome, 'dropped');
        assert.equal(emulator.stats().webhooks.dropped, 1);
      },
    );
  });

  test('with a duplicate rate, acknowledged deliveries arrive a second time with the same bytes and ids', async () => {
    await withEmulator({ duplicateRate: 1 }, async (emulator, receiver) => {
      await emulator.deliver('text', { count: 3, separately: true });
      await emulator.flush();
      const posts = receiver.posts();
      assert.equal(posts.length, 6);
      const bodies = posts.map((p) => p.raw.toString());
      assert.equal(new Set(bodies).size, 3);
      const ids = messagesIn(posts).map((m) => m.id);
      assert.equal(ids.length, 6);
      assert.equal(new Set(ids).size, 3);
      assert.equal(emulator.stats().webhooks.duplicates, 3);
    });
  });

  test('updates are batched into several entries, changes and messages per POST, up to 1,000', async () => {
    await withEmulator({ batch: { maxUpdates: 1000, windowMs: 20 } }, async (emulator, receiver) => {
      await emulator.deliver('text', { count: 60 });
      const posts = receiver.posts();
      assert.equal(posts.length, 1);
      const json = posts[0]!.json;
      assert.ok(json.entry.length > 1, 'several entries');
      assert.ok(
        json.entry.some((e) => e.changes.length > 1),
        'several changes in an entry',
      );
      assert.ok(
        json.entry.some((e) => e.changes.some((c) => (c.value.messages?.length ?? 0) > 1)),
        'several messages',
      );
      assert.ok(json.entry.every((e) => e.id === emulator.settings.wabaId));
      assert.equal(updatesIn(posts[0]!.json), 60);

      await emulator.deliver('text', { count: 2_500 });
      const big = receiver.posts().slice(1);
      assert.equal(big.length, 3);
      assert.deepEqual(
        big.map((p) => updatesIn(p.json)).sort((a, b) => b - a),
        [1000, 1000, 500],
      );
    });
  });

  test('batches are split to stay within 3 MB, and maxUpdates 1 gives one update per POST', async () => {
    await withEmulator({ batch: { maxUpdates: 1000, windowMs: 20 } }, async (emulator, receiver) => {
      await emulator.deliver('text', { count: 200, text: '长'.repeat(4000) });
      const posts = receiver.posts();
      const total = posts.reduce((n, p) => n + p.raw.length, 0);
      assert.ok(total > 3 * 1024 * 1024 && posts.length >= 2, `${posts.length} POSTs, ${total} bytes`);
      assert.ok(posts.every((p) => p.raw.length <= 3 * 1024 * 1024));
      assert.equal(
        posts.reduce((n, p) => n + updatesIn(p.json), 0),
        200,
      );
    });
    await withEmulator({ batch: { maxUpdates: 1, windowMs: 0 } }, async (emulator, receiver) => {
      await emulator.deliver('audio', { count: 5 });
      assert.deepEqual(
        receiver.posts().map((p) => updatesIn(p.json)),
        [1, 1, 1, 1, 1],
      );
    });
  });

  test('a ready-made payload, such as the reference sample, is delivered as given, escaped and signed', async () => {
    await withEmulator({}, async (emulator, receiver) => {
      const sample = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
                  contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
                  messages: [
                    {
                      from: '16505551234',
                      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
                      timestamp: '1749416383',
                      type: 'text',
                      text: { body: 'Does it come in another color?' },
                    },
                  ],
                },
                field: 'messages',
              },
            ],
          },
        ],
      };
      assert.equal((await emulator.deliver(sample)).outcome, 'acked');
      const [post] = receiver.posts();
      assert.deepEqual(post!.json, sample);
      assert.ok(
        post!.raw.toString().includes('"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="'),
      );
      assert.equal(post!.signatureValid, true);
    });
  });

  test('setCallback moves deliveries to a new receiver after a new handshake', async () => {
    await withEmulator({}, async (emulator, first) => {
      await emulator.deliver('text', {});
      const second = await startReceiver();
      try {
        emulator.setCallback(second.url, VERIFY_TOKEN);
        await emulator.deliver('text', {});
        assert.equal(first.posts().length, 1);
        assert.equal(second.posts().length, 1);
        assert.equal(second.requests[0]?.method, 'GET');
        assert.throws(() => emulator.setCallback('http://192.0.2.1/hook', VERIFY_TOKEN), /loopback/);
      } finally {
        await second.close();
      }
    });
  });
});
