import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INBOUND_KINDS, type Customer, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import {
  emulatorFor,
  messageIdOf,
  messagesIn,
  send,
  startReceiver,
  statusesIn,
  values,
  type Receiver,
} from './emulator-support.ts';
import { envelope, message, status } from './emulator-shapes.ts';

describe('Cloud API emulator: webhook payload shapes', () => {
  let receiver: Receiver;
  let emulator: Emulator;
  let visible: Customer;
  let hidden: Customer;

  before(async () => {
    receiver = await startReceiver();
    emulator = await emulatorFor(receiver, { customers: 60 });
    visible = emulator.customers.find(
      (c) => c.onWhatsApp && c.waId !== undefined && c.behaviour === 'reads',
    )!;
    hidden = emulator.customers.find((c) => c.onWhatsApp && c.waId === undefined)!;
  });
  after(async () => {
    await emulator.close();
    await receiver.close();
  });

  const since = (from: number) => receiver.posts().slice(from);

  test('every inbound kind matches its documented shape, from customers with and without a visible number', async () => {
    const from = receiver.posts().length;
    for (const customer of [visible, hidden])
      for (const kind of INBOUND_KINDS) await emulator.deliver(kind, { customer });
    const posts = since(from);
    for (const post of posts) envelope.parse(post.json);
    const messages = messagesIn(posts);
    assert.equal(messages.length, INBOUND_KINDS.length * 2);
    const types = new Set(messages.map((m) => (m.type === 'interactive' ? m.interactive?.type : m.type)));
    for (const kind of INBOUND_KINDS) assert.ok(types.has(kind), kind);
    for (const m of messages.filter((m) => ['button', 'interactive'].includes(m.type))) {
      assert.equal(
        m.context?.from,
        emulator.settings.displayPhoneNumber,
        'replies point at the business message',
      );
    }
  });

  test('with a visible number, from equals wa_id; without one, both are omitted and user_id identifies the user', async () => {
    const from = receiver.posts().length;
    await emulator.deliver('text', { customer: visible });
    await emulator.deliver('text', { customer: hidden });
    const contacts = values(since(from)).flatMap((v) => v.value.contacts ?? []);
    const messages = messagesIn(since(from));
    assert.equal(messages[0]!.from, visible.waId);
    assert.equal(contacts[0]!.wa_id, visible.waId);
    assert.equal(contacts[0]!.user_id, visible.userId);
    assert.equal('from' in messages[1]!, false);
    assert.equal('wa_id' in contacts[1]!, false);
    assert.equal(contacts[1]!.user_id, hidden.userId);
    assert.equal(messages[1]!.from_user_id, hidden.userId);
    assert.match(contacts[1]!.profile?.username ?? '', /^@/);
    assert.match(hidden.userId, /^[A-Z]{2}\.\d{20}$/);
  });

  test('profile names come in many scripts, and a parent_user_id appears where the user has one', async () => {
    const names = emulator.customers.list.map((c) => c.profileName).join(' ');
    for (const script of [
      /\p{Script=Han}/u,
      /\p{Script=Arabic}/u,
      /\p{Script=Cyrillic}/u,
      /\p{Script=Devanagari}/u,
    ])
      assert.match(names, script);
    const child = emulator.customers.find((c) => c.onWhatsApp && c.parentUserId !== undefined)!;
    const from = receiver.posts().length;
    await emulator.deliver('text', { customer: child });
    const [found] = values(since(from)).flatMap((v) => v.value.contacts ?? []);
    assert.equal(found?.parent_user_id, child.parentUserId);
  });

  test('text carries context, forwarded flags and a Click-to-WhatsApp referral when asked; a reaction can be removed', async () => {
    const from = receiver.posts().length;
    const reply = await send(emulator, { to: visible.phone, type: 'text', text: { body: 'Our reply' } });
    const businessId = messageIdOf(reply);
    await emulator.deliver('text', { customer: visible, replyTo: businessId });
    await emulator.deliver('text', { customer: visible, forwarded: true });
    await emulator.deliver('text', { customer: visible, forwarded: 'frequently' });
    await emulator.deliver('text', { customer: visible, referral: true });
    await emulator.deliver('reaction', { customer: visible, replyTo: businessId, emoji: null });
    const messages = messagesIn(since(from));
    for (const m of messages) message.parse(m);
    assert.deepEqual(messages[0]!.context, { from: emulator.settings.displayPhoneNumber, id: businessId });
    assert.deepEqual(messages[1]!.context, { forwarded: true });
    assert.deepEqual(messages[2]!.context, { frequently_forwarded: true });
    assert.equal(messages[3]!.referral?.source_type, 'ad');
    assert.deepEqual(messages[4]!.reaction, { message_id: businessId });
  });

  test('user_preferences stop and resume carry integer timestamps and the reference detail texts', async () => {
    const from = receiver.posts().length;
    await emulator.deliver('user_preferences', { customer: visible, value: 'stop' });
    await emulator.deliver('user_preferences', { customer: visible, value: 'resume' });
    const changes = values(since(from));
    assert.deepEqual(
      changes.map((c) => c.field),
      ['user_preferences', 'user_preferences'],
    );
    const prefs = changes.flatMap((c) => c.value.user_preferences ?? []);
    assert.deepEqual(
      prefs.map((p) => [p.value, typeof p.timestamp, p.wa_id]),
      [
        ['stop', 'number', visible.waId],
        ['resume', 'number', visible.waId],
      ],
    );
    assert.deepEqual(changes[0]!.value.contacts, [{ wa_id: visible.waId, user_id: visible.userId }]);
  });

  test('value-level errors and directly delivered statuses (failed, played, with pricing) have the documented shape', async () => {
    const from = receiver.posts().length;
    await emulator.deliver('errors', {});
    await emulator.deliver('errors', { errorCode: 131052 });
    await emulator.deliver('status', { customer: visible, status: 'failed', errorCode: 131049 });
    await emulator.deliver('status', { customer: visible, status: 'sent', version: 'v23.0' });
    await emulator.deliver('status', { customer: visible, status: 'played' });
    const posts = since(from);
    for (const post of posts) envelope.parse(post.json);
    const errors = values(posts).flatMap((v) => v.value.errors ?? []);
    assert.deepEqual(
      errors.map((e) => e.code),
      [130429, 131052],
    );
    assert.match(errors[0]!.error_data.details, /too many messages sent from this phone number/);
    const [failed, sent, played] = statusesIn(posts);
    assert.equal(failed!.errors?.[0]?.code, 131049);
    assert.equal(
      failed!.errors?.[0]?.title,
      'This message was not delivered to maintain healthy ecosystem engagement.',
    );
    assert.deepEqual(sent!.pricing, {
      billable: true,
      pricing_model: 'PMP',
      type: 'regular',
      category: 'marketing',
    });
    assert.equal(sent!.conversation?.origin.type, 'marketing');
    assert.equal(played!.status, 'played');
  });
});

describe('Cloud API emulator: status progressions of sent messages', () => {
  test('statuses follow each customer: delivered skipped when read at once, played after a voice note, failed with errors', async () => {
    const receiver = await startReceiver();
    const emulator = await emulatorFor(receiver, { customers: 60 });
    try {
      const pick = (p: (c: Customer) => boolean) =>
        emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined && !c.marketingLimited && p(c))!;
      const reader = pick((c) => c.behaviour === 'reads');
      const deliverer = pick((c) => c.behaviour === 'delivers');
      const atOnce = pick((c) => c.behaviour === 'reads-at-once');
      const offline = pick((c) => c.behaviour === 'offline');
      const limited = emulator.customers.find(
        (c) => c.onWhatsApp && c.marketingLimited && !emulator.customers.optedOut(c),
      )!;
      for (const c of [reader, deliverer, atOnce, offline]) await emulator.deliver('text', { customer: c });
      const inbound = await emulator.deliver('text', { customer: reader });

      const ids: Record<string, string> = {};
      const go = async (key: string, body: Record<string, unknown>, version?: string) => {
        const answer = await send(emulator, body, version);
        assert.equal(answer.status, 200, answer.text);
        ids[key] = messageIdOf(answer);
      };
      await go(
        'reads',
        { to: reader.phone, type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: 'outbox:42' },
        'v24.0',
      );
      await go('delivers', { to: deliverer.phone, type: 'text', text: { body: 'hi' } });
      await go('atOnce', { to: atOnce.phone, type: 'text', text: { body: 'hi' } });
      await go('offline', { to: offline.phone, type: 'text', text: { body: 'hi' } });
      await go('voice', { to: reader.phone, type: 'audio', audio: { link: 'https://example.com/v.ogg' } });
      await go('reaction', {
        to: reader.phone,
        type: 'reaction',
        reaction: { message_id: inbound.ids[0], emoji: '❤️' },
      });
      await go('oldVersion', { to: reader.phone, type: 'text', text: { body: 'hi' } }, 'v23.0');
      const saleParams = ['first_name', 'discount_code', 'discount_amount'].map((n) => ({
        type: 'text',
        parameter_name: n,
        text: 'x',
      }));
      await go('limited', {
        to: limited.phone,
        type: 'template',
        template: {
          name: 'summer_sale',
          language: { code: 'en_US' },
          components: [
            { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/s.jpg' } }] },
            { type: 'body', parameters: saleParams },
          ],
        },
      });

      const expected: Record<string, string[]> = {
        reads: ['sent', 'delivered', 'read'],
        delivers: ['sent', 'delivered'],
        atOnce: ['sent', 'read'],
        offline: ['sent'],
        voice: ['sent', 'delivered', 'read', 'played'],
        reaction: ['sent'],
        oldVersion: ['sent', 'delivered', 'read'],
        limited: ['failed'],
      };
      const total = Object.values(expected).flat().length;
      await receiver.waitFor(() => statusesIn(receiver.posts()).length >= total);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const statuses = statusesIn(receiver.posts());
      assert.equal(statuses.length, total, 'no extra statuses');
      for (const s of statuses) status.parse(s);
      const sent = emulator.sent();
      for (const [key, progression] of Object.entries(expected)) {
        const mine = statuses.filter((s) => s.id === ids[key]);
        assert.deepEqual(new Set(mine.map((s) => s.status)), new Set(progression), key);
        assert.deepEqual(sent.find((m) => m.id === ids[key])?.statuses, progression, `${key} in order`);
        if (key !== 'limited')
          assert.equal(mine.filter((s) => s.pricing).length, 1, `${key}: pricing on exactly one status`);
        const priced = mine.find((s) => s.pricing);
        if (priced) assert.ok(['sent', 'delivered'].includes(priced.status));
      }
      const reads = statuses.filter((s) => s.id === ids.reads);
      assert.ok(reads.every((s) => s.biz_opaque_callback_data === 'outbox:42' && !('conversation' in s)));
      assert.ok(
        statuses.filter((s) => s.id === ids.oldVersion).every((s) => s.conversation),
        'conversation before v24',
      );
      assert.deepEqual(reads.find((s) => s.pricing)?.pricing, {
        billable: false,
        pricing_model: 'PMP',
        type: 'free_customer_service',
        category: 'service',
      });
      assert.equal(statuses.find((s) => s.id === ids.limited)?.errors?.[0]?.code, 131049);
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });

  test('message ids look like Meta wamids and, like them, carry the user number in base64', async () => {
    const emulator = await emulatorFor(undefined);
    try {
      const customer = emulator.customers.get(0);
      const answer = await send(emulator, {
        to: customer.phone,
        type: 'template',
        template: { name: 'hello_world', language: { code: 'en_US' } },
      });
      const decoded = Buffer.from(messageIdOf(answer).slice('wamid.'.length), 'base64').toString('latin1');
      assert.ok(decoded.includes(customer.phone.slice(1)), 'treat wamids as personal data');
    } finally {
      await emulator.close();
    }
  });
});
