import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ManualClock,
  assertGraphError,
  emulatorFor,
  errorOf,
  messageIdOf,
  send,
  startReceiver,
  statusesIn,
  template,
  text,
} from './emulator-support.ts';

describe('Cloud API emulator: throughput and pair rate', () => {
  test('error_subcode appears only on Graph versions before v16.0', async () => {
    const limited = await emulatorFor(undefined, { throughput: 1, clock: new ManualClock() });
    try {
      const first = await send(limited, template(limited.customers.get(0).phone, 'hello_world'), 'v15.0');
      assert.equal(first.status, 200, 'the first send takes the only token of the second');
      const legacy = await send(limited, template(limited.customers.get(0).phone, 'hello_world'), 'v15.0');
      assertGraphError(legacy, 130429);
      assert.equal(errorOf(legacy).error_subcode, 2494055);
      const current = await send(limited, template(limited.customers.get(0).phone, 'hello_world'), 'v23.0');
      assertGraphError(current, 130429);
      assert.equal('error_subcode' in errorOf(current), false);
    } finally {
      await limited.close();
    }
  });

  test('more messages a second than the number allows fail with 130429 until the second passes', async () => {
    const clock = new ManualClock();
    const emulator = await emulatorFor(undefined, { clock, throughput: 80 });
    try {
      const answers = await Promise.all(
        emulator.customers.list
          .filter((c) => c.onWhatsApp)
          .slice(0, 40)
          .flatMap((c) => [1, 2].map(() => send(emulator, template(c.phone, 'hello_world')))),
      );
      assert.equal(answers.filter((a) => a.status === 200).length, 80);
      const refused = await send(emulator, template(emulator.customers.get(0).phone, 'hello_world'));
      assertGraphError(refused, 130429);
      assert.equal(errorOf(refused).error_data.details, 'Cloud API message throughput has been reached.');
      clock.advance(1_000);
      assert.equal(
        (await send(emulator, template(emulator.customers.get(1).phone, 'hello_world'))).status,
        200,
      );
      assert.equal(emulator.stats().graph.errors['130429'], 1);
    } finally {
      await emulator.close();
    }
  });

  test('one recipient gets a burst of 45, then 131056, then one message every 6 seconds', async () => {
    const clock = new ManualClock();
    const emulator = await emulatorFor(undefined, { clock, throughput: 1000 });
    try {
      const to = emulator.customers.get(0).phone;
      for (let i = 0; i < 45; i++)
        assert.equal((await send(emulator, template(to, 'hello_world'))).status, 200);
      const refused = await send(emulator, template(to, 'hello_world'));
      assertGraphError(refused, 131056);
      assert.match(errorOf(refused).message, /pair rate limit hit/);
      assert.equal(
        (await send(emulator, template(emulator.customers.get(1).phone, 'hello_world'))).status,
        200,
      );
      clock.advance(5_000);
      assertGraphError(await send(emulator, template(to, 'hello_world')), 131056);
      clock.advance(1_000);
      assert.equal((await send(emulator, template(to, 'hello_world'))).status, 200);
      assertGraphError(await send(emulator, template(to, 'hello_world')), 131056);
    } finally {
      await emulator.close();
    }
  });
});

describe('Cloud API emulator: refusals as failed statuses', () => {
  test('with failureMode "status", 131026, 131047 and 131050 are accepted and end as failed statuses', async () => {
    const receiver = await startReceiver();
    const emulator = await emulatorFor(receiver, { failureMode: 'status' });
    try {
      const unknown = await send(emulator, template('+999 555 0100', 'hello_world'));
      const quiet = emulator.customers.find((c) => c.onWhatsApp && !emulator.customers.optedOut(c))!;
      const closed = await send(emulator, text(quiet.phone));
      const optedOut = emulator.customers.find((c) => c.onWhatsApp && emulator.customers.optedOut(c))!;
      const rejected = await send(emulator, template(optedOut.phone, 'miracle_cure'));
      assertGraphError(rejected, 132001, 400); // template errors stay synchronous
      const stopped = await send(
        emulator,
        template(optedOut.phone, 'summer_sale', [
          { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/s.jpg' } }] },
          {
            type: 'body',
            parameters: ['first_name', 'discount_code', 'discount_amount'].map((n) => ({
              type: 'text',
              parameter_name: n,
              text: 'x',
            })),
          },
        ]),
      );
      const ids = [unknown, closed, stopped].map((a) => {
        assert.equal(a.status, 200, a.text);
        return messageIdOf(a);
      });
      await receiver.waitFor(
        () => statusesIn(receiver.posts()).filter((s) => s.status === 'failed').length >= 3,
      );
      const failed = statusesIn(receiver.posts()).filter((s) => s.status === 'failed');
      assert.deepEqual(
        ids.map((id) => failed.find((s) => s.id === id)?.errors?.[0]?.code),
        [131026, 131047, 131050],
      );
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });
});
