import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Customer, Emulator } from '../src/features/whatsapp/emulator/index.ts';
import {
  ManualClock,
  assertGraphError,
  emulatorFor,
  errorOf,
  graph,
  messageIdOf,
  send,
  startReceiver,
  template,
  text,
  type Receiver,
} from './emulator-support.ts';

const orderParams = [
  {
    type: 'body',
    parameters: [
      { type: 'text', parameter_name: 'first_name', text: 'Jessica' },
      { type: 'text', parameter_name: 'order_number', text: 'SKBUP2-4CPIG9' },
    ],
  },
];

describe('Cloud API emulator: the messages endpoint', () => {
  let receiver: Receiver;
  let emulator: Emulator;
  let clock: ManualClock;
  let customer: Customer;
  let optedOut: Customer;

  before(async () => {
    receiver = await startReceiver();
    clock = new ManualClock();
    emulator = await emulatorFor(receiver, { clock, throughput: 10_000, pairRate: { burst: 10_000 } });
    customer = emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined && !c.marketingLimited)!;
    optedOut = emulator.customers.find(
      (c) => c.onWhatsApp && c.waId !== undefined && emulator.customers.optedOut(c),
    )!;
    await emulator.deliver('text', { customer });
  });
  after(async () => {
    await emulator.close();
    await receiver.close();
  });

  test('a text inside the service window is accepted with the documented response shape', async () => {
    const answer = await send(emulator, text(customer.phone));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(Object.keys(answer.body), ['messaging_product', 'contacts', 'messages']);
    assert.equal(answer.body.messaging_product, 'whatsapp');
    assert.deepEqual(answer.body.contacts, [{ input: customer.phone, wa_id: customer.waId }]);
    assert.match(messageIdOf(answer), /^wamid\.[A-Za-z0-9+/=]+$/);
    assert.equal(
      'message_status' in answer.body.messages![0]!,
      false,
      'message_status is for templates only',
    );
  });

  test('a missing, wrong or query-string token is refused with 190 OAuthException and HTTP 401', async () => {
    const path = `/v23.0/${emulator.settings.phoneNumberId}/messages`;
    for (const token of [null, 'EAAwrong-token']) {
      const answer = await graph(emulator, 'POST', path, text(customer.phone), token);
      assertGraphError(answer, 190, 401);
      assert.match(answer.headers.get('www-authenticate') ?? '', /invalid_token/);
      assert.ok(!answer.text.includes('EAAwrong-token'), 'the token is never echoed');
    }
    const inQuery = await graph(emulator, 'GET', `/v23.0/${emulator.settings.phoneNumberId}?access_token=x`);
    assertGraphError(inQuery, 190, 401);
  });

  test('a free-form message outside the 24-hour window fails with 131047 while a template still goes out', async () => {
    const quiet = emulator.customers.find(
      (c) => c.onWhatsApp && c.index > customer.index && !emulator.customers.optedOut(c),
    )!;
    assertGraphError(await send(emulator, text(quiet.phone)), 131047);
    const accepted = await send(emulator, template(quiet.phone, 'order_confirmation', orderParams));
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.messages?.[0]?.message_status, 'accepted');

    await emulator.deliver('text', { customer: quiet });
    assert.equal((await send(emulator, text(quiet.phone))).status, 200);
    clock.advance(24 * 3_600_000 + 1_000);
    assertGraphError(await send(emulator, text(quiet.phone)), 131047);
    await emulator.deliver('image', { customer: quiet });
    assert.equal(
      (await send(emulator, text(quiet.phone))).status,
      200,
      'each customer message resets the window',
    );
  });

  test('a marketing template to a customer who stopped marketing fails with 131050 until they resume', async () => {
    const marketing = template(optedOut.phone, 'summer_sale', [
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/sale.jpg' } }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'first_name', text: 'Jessica' },
          { type: 'text', parameter_name: 'discount_code', text: 'WELCOME25' },
          { type: 'text', parameter_name: 'discount_amount', text: '25%' },
        ],
      },
    ]);
    assertGraphError(await send(emulator, marketing), 131050);
    assert.equal(
      (await send(emulator, template(optedOut.phone, 'order_confirmation', orderParams))).status,
      200,
    );
    await emulator.deliver('user_preferences', { customer: optedOut, value: 'resume' });
    assert.equal((await send(emulator, marketing)).status, 200);
    await emulator.deliver('user_preferences', { customer: optedOut, value: 'stop' });
    assertGraphError(await send(emulator, marketing), 131050);
  });

  test('an unknown, pending or rejected template, or one in another language, fails with 132001', async () => {
    for (const [name, code] of [
      ['no_such_template', 'en_US'],
      ['winter_promo', 'en_US'],
      ['miracle_cure', 'en_US'],
      ['order_confirmation', 'de_DE'],
    ] as const)
      assertGraphError(await send(emulator, template(customer.phone, name, [], code)), 132001);
  });

  test('a wrong number of template parameters fails with 132000, positional, named and header alike', async () => {
    const positional = (body: string[], header: string[] = ['SKBUP2']) =>
      template(customer.phone, 'shipping_update', [
        { type: 'header', parameters: header.map((t) => ({ type: 'text', text: t })) },
        { type: 'body', parameters: body.map((t) => ({ type: 'text', text: t })) },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '1Z999' }] },
      ]);
    assert.equal((await send(emulator, positional(['Pablo', '1Z999', 'tomorrow']))).status, 200);
    assertGraphError(await send(emulator, positional(['Pablo', '1Z999'])), 132000);
    assertGraphError(await send(emulator, positional(['Pablo', '1Z999', 'tomorrow', 'extra'])), 132000);
    assertGraphError(await send(emulator, positional(['Pablo', '1Z999', 'tomorrow'], [])), 132000);
    const oneNamed = [
      { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Jessica' }] },
    ];
    assertGraphError(await send(emulator, template(customer.phone, 'order_confirmation', oneNamed)), 132000);
    assertGraphError(await send(emulator, template(customer.phone, 'hello_world', orderParams)), 132000);
    const noHeader = [
      { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'J' }] },
    ];
    assertGraphError(await send(emulator, template(customer.phone, 'summer_sale', noHeader)), 132000);
  });

  test('a recipient who is unknown or not on WhatsApp fails with 131026', async () => {
    const notOnWhatsApp = emulator.customers.find((c) => !c.onWhatsApp)!;
    assertGraphError(await send(emulator, template(notOnWhatsApp.phone, 'hello_world')), 131026);
    assertGraphError(await send(emulator, template('+999 555 0100', 'hello_world')), 131026);
  });

  test('a number without a leading + gets the business calling code prepended, as Meta documents', async () => {
    const withoutPlus = customer.phone.slice(1);
    const answer = await send(emulator, template(withoutPlus, 'hello_world'));
    if (withoutPlus.startsWith('1')) assert.equal(answer.status, 200);
    else assertGraphError(answer, 131026);
    const formatted = `+${customer.phone.slice(1, 3)} ${customer.phone.slice(3, 6)}-${customer.phone.slice(6)}`;
    assert.equal((await send(emulator, template(formatted, 'hello_world'))).status, 200);
  });

  test('malformed bodies fail with 100 naming the parameter, never echoing its value', async () => {
    const path = `/v23.0/${emulator.settings.phoneNumberId}/messages`;
    const bad = await fetch(`${emulator.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${emulator.channel.accessToken}`,
        'content-type': 'application/json',
      },
      body: '{"messaging_product": "whatsapp", "to": ',
    });
    assert.equal(bad.status, 400);
    for (const body of [
      { to: customer.phone, type: 'text', text: { body: 'secret-body-1'.repeat(400) } },
      { to: customer.phone, type: 'text' },
      { to: customer.phone, type: 'hologram', hologram: {} },
      { to: customer.phone, type: 'image', image: { id: '123', link: 'https://example.com/a.jpg' } },
      {
        to: customer.phone,
        type: 'interactive',
        interactive: { type: 'button', body: { text: 'Pick' }, action: {} },
      },
    ]) {
      const answer = await send(emulator, body);
      assertGraphError(answer, 100);
      assert.ok(!answer.text.includes('secret-body-1'));
    }
    const noProduct = await graph(emulator, 'POST', path, {
      to: customer.phone,
      type: 'text',
      text: { body: 'x' },
    });
    assertGraphError(noProduct, 100);
    assert.match(errorOf(noProduct).error_data.details, /messaging_product/);
  });

  test('media by id, reactions, interactive buttons and lists, location and contacts are accepted in the window', async () => {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('file', new Blob([Buffer.from('%PDF-1.4\nhello')], { type: 'application/pdf' }), 'offer.pdf');
    const upload = await graph(emulator, 'POST', `/v23.0/${emulator.settings.phoneNumberId}/media`, form);
    assert.equal(upload.status, 200, upload.text);
    const inbound = await emulator.deliver('text', { customer });
    const bodies = [
      { type: 'document', document: { id: upload.body.id, filename: 'offer.pdf', caption: 'Your offer' } },
      { type: 'image', image: { link: 'https://example.com/a.jpg', caption: 'A' } },
      { type: 'reaction', reaction: { message_id: inbound.ids[0], emoji: '👍' } },
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Confirm the delivery?' },
          action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] },
        },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Shipping speed?' },
          action: {
            button: 'Choose',
            sections: [
              { title: 'Speeds', rows: [{ id: 'express', title: 'Express', description: '1 day' }] },
            ],
          },
        },
      },
      { type: 'location', location: { latitude: 52.52, longitude: 13.4, name: 'Shop' } },
      {
        type: 'contacts',
        contacts: [{ name: { formatted_name: 'Support Desk' }, phones: [{ phone: '+15550100' }] }],
      },
      { type: 'text', text: { body: 'In reply' }, context: { message_id: inbound.ids[0] } },
    ];
    for (const body of bodies) {
      const answer = await send(emulator, { to: customer.phone, ...body });
      assert.equal(answer.status, 200, `${String(body.type)}: ${answer.text}`);
    }
  });

  test('mark-as-read takes an inbound message id, with or without a typing indicator, and refuses others', async () => {
    const inbound = await emulator.deliver('text', { customer });
    const read = await send(emulator, {
      status: 'read',
      message_id: inbound.ids[0],
      typing_indicator: { type: 'text' },
    });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body, { success: true });
    assert.deepEqual((await send(emulator, { status: 'read', message_id: inbound.ids[0] })).body, {
      success: true,
    });
    assertGraphError(await send(emulator, { status: 'read', message_id: 'wamid.unknown' }), 100);
  });

  test('a send to a BSUID answers with user_id and an empty wa_id; an authentication template to one is 131062', async () => {
    const hidden = emulator.customers.find((c) => c.onWhatsApp && c.waId === undefined)!;
    await emulator.deliver('text', { customer: hidden });
    const answer = await send(emulator, text(hidden.userId));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.contacts, [{ input: hidden.userId, wa_id: '', user_id: hidden.userId }]);
    const otp = template(hidden.userId, 'verification_code', [
      { type: 'body', parameters: [{ type: 'text', text: '123456' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] },
    ]);
    assertGraphError(await send(emulator, otp), 131062);
    assert.equal((await send(emulator, { ...otp, to: hidden.phone })).status, 200);
  });

  test('an unknown path or object id answers (#100) with subcode 33, like the Graph API', async () => {
    assertGraphError(await graph(emulator, 'GET', '/v23.0/999999999999'), 100);
    assertGraphError(await graph(emulator, 'POST', '/v23.0/123456789/messages', text(customer.phone)), 100);
  });
  test('another process pages through accepted sends with /_emulator/sent?from=N (and a bad cursor is #100)', async () => {
    const before = emulator.stats().sentTotal;
    for (let i = 0; i < 3; i++) assert.equal((await send(emulator, text(customer.phone))).status, 200);
    const page = await graph(emulator, 'GET', `/_emulator/sent?from=${before + 1}&limit=1`);
    assert.equal(page.status, 200, page.text);
    const body = page.body as unknown as { data: { id: string; at: string }[]; next: number };
    assert.equal(body.data.length, 1);
    assert.equal(body.next, before + 2);
    assert.equal(body.data[0]!.id, emulator.sent().at(-2)!.id, 'the second of the three');
    const rest = (await graph(emulator, 'GET', `/_emulator/sent?from=${body.next}`)).body as unknown as {
      data: unknown[];
      next: number;
    };
    assert.equal(rest.data.length, 1);
    assert.equal(rest.next, before + 3);
    assert.equal(emulator.stats().sentTotal, before + 3);
    assertGraphError(await graph(emulator, 'GET', '/_emulator/sent?from=-1'), 100);
    assertGraphError(await graph(emulator, 'GET', '/_emulator/sent', undefined, null), 190, 401);
  });
});
