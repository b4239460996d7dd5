import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MEDIA_URL_TTL_MS, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import {
  ACCESS_TOKEN,
  ManualClock,
  emulatorFor,
  errorOf,
  field,
  graph,
  messageIdOf,
  messagesIn,
  send,
  startReceiver,
  statusesIn,
  type Receiver,
} from './emulator-support.ts';

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('a small picture'),
  Buffer.from([0xff, 0xd9]),
]);

function form(bytes: Buffer, type: string, filename = 'file.bin', withProduct = true): FormData {
  const data = new FormData();
  if (withProduct) data.set('messaging_product', 'whatsapp');
  data.set('file', new Blob([bytes], { type }), filename);
  return data;
}

async function download(url: string, token: string | null = ACCESS_TOKEN): Promise<Response> {
  return fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
}

describe('Cloud API emulator: media', () => {
  let emulator: Emulator;
  let clock: ManualClock;
  const upload = (data: FormData) =>
    graph(emulator, 'POST', `/v23.0/${emulator.settings.phoneNumberId}/media`, data);

  before(async () => {
    clock = new ManualClock();
    emulator = await emulatorFor(undefined, { clock });
  });
  after(() => emulator.close());

  test('an upload answers with an id, and GET /{media-id} with url, mime_type, base64 sha256 and file_size', async () => {
    const uploaded = await upload(form(JPEG, 'image/jpeg', 'photo.jpg'));
    assert.equal(uploaded.status, 200, uploaded.text);
    assert.deepEqual(Object.keys(uploaded.body), ['id']);
    assert.match(field(uploaded, 'id'), /^\d{15,16}$/);

    const described = await graph(emulator, 'GET', `/v23.0/${field(uploaded, 'id')}`);
    assert.equal(described.status, 200, described.text);
    assert.deepEqual(Object.keys(described.body), [
      'url',
      'mime_type',
      'sha256',
      'file_size',
      'id',
      'messaging_product',
    ]);
    assert.equal(described.body.mime_type, 'image/jpeg');
    assert.equal(described.body.sha256, createHash('sha256').update(JPEG).digest('base64'));
    assert.equal(described.body.file_size, JPEG.length);
    assert.equal(described.body.messaging_product, 'whatsapp');
    assert.match(described.text, /"url":"http:\\\/\\\//, 'Graph answers escape slashes like Meta');

    const file = await download(field(described, 'url'));
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), JPEG);
  });

  test('downloading needs the bearer token: without it, or with another, the URL answers 404', async () => {
    const id = field(await upload(form(JPEG, 'image/jpeg')), 'id');
    const url = field(await graph(emulator, 'GET', `/v23.0/${id}`), 'url');
    assert.equal((await download(url, null)).status, 404);
    assert.equal((await download(url, 'EAAsomeone-else')).status, 404);
    assert.equal((await download(url.replace(/hash=[^&]+/, 'hash=forged'))).status, 404);
    assert.equal((await download(url)).status, 200);
  });

  test('a media URL expires after 5 minutes; a fresh GET gives a working one', async () => {
    const id = field(await upload(form(JPEG, 'image/jpeg')), 'id');
    const url = field(await graph(emulator, 'GET', `/v23.0/${id}`), 'url');
    clock.advance(MEDIA_URL_TTL_MS - 1_000);
    assert.equal((await download(url)).status, 200);
    clock.advance(1_001);
    assert.equal((await download(url)).status, 404);
    const fresh = field(await graph(emulator, 'GET', `/v23.0/${id}`), 'url');
    assert.equal((await download(fresh)).status, 200);
  });

  test('unsupported types, oversized files and content that does not match its MIME type fail with 131053', async () => {
    for (const data of [
      form(Buffer.from('#!/bin/sh'), 'application/x-sh', 'run.sh'),
      form(Buffer.concat([JPEG, Buffer.alloc(5 * 1024 * 1024)]), 'image/jpeg', 'big.jpg'),
      form(Buffer.from('not really a png'), 'image/png', 'fake.png'),
      form(Buffer.alloc(600 * 1024, 1), 'image/webp', 'sticker.webp'),
    ]) {
      const answer = await upload(data);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(errorOf(answer).code, 131053);
    }
    const noProduct = await upload(form(JPEG, 'image/jpeg', 'a.jpg', false));
    assert.equal(errorOf(noProduct).code, 100);
  });

  test('DELETE answers success, after which the id is gone; another number id is refused', async () => {
    const id = field(
      await upload(form(Buffer.from('%PDF-1.7 invoice'), 'application/pdf', 'invoice.pdf')),
      'id',
    );
    const wrongNumber = await graph(emulator, 'GET', `/v23.0/${id}?phone_number_id=123456789012345`);
    assert.equal(errorOf(wrongNumber).code, 100);
    const owned = await graph(
      emulator,
      'GET',
      `/v23.0/${id}?phone_number_id=${emulator.settings.phoneNumberId}`,
    );
    assert.equal(owned.status, 200);
    const deleted = await graph(emulator, 'DELETE', `/v23.0/${id}`);
    assert.deepEqual(deleted.body, { success: true });
    const gone = await graph(emulator, 'GET', `/v23.0/${id}`);
    assert.equal(gone.status, 400);
    assert.equal(errorOf(gone).code, 100);
    assert.equal(errorOf(gone).error_subcode, 33);
  });

  test('uploaded media ids expire after 30 days', async () => {
    const id = field(await upload(form(Buffer.from('plain text'), 'text/plain', 'note.txt')), 'id');
    clock.advance(29 * 24 * 3_600_000);
    assert.equal((await graph(emulator, 'GET', `/v23.0/${id}`)).status, 200);
    clock.advance(24 * 3_600_000);
    assert.equal(errorOf(await graph(emulator, 'GET', `/v23.0/${id}`)).code, 100);
  });
});

describe('Cloud API emulator: inbound media', () => {
  let receiver: Receiver;
  let emulator: Emulator;
  let clock: ManualClock;

  before(async () => {
    receiver = await startReceiver();
    clock = new ManualClock();
    emulator = await emulatorFor(receiver, { clock });
  });
  after(async () => {
    await emulator.close();
    await receiver.close();
  });

  test('media in webhooks can be fetched by id for 7 days, its bytes matching the base64 sha256', async () => {
    await emulator.deliver('image', { withUrl: true });
    await emulator.deliver('document', {});
    const [image, document] = messagesIn(receiver.posts()).map((m) => m[m.type] as Record<string, string>);
    for (const media of [image!, document!]) {
      const described = await graph(emulator, 'GET', `/v23.0/${media.id}`);
      assert.equal(described.body.sha256, media.sha256);
      const bytes = Buffer.from(await (await download(field(described, 'url'))).arrayBuffer());
      assert.equal(createHash('sha256').update(bytes).digest('base64'), media.sha256);
    }
    assert.equal((await download(image!.url!)).status, 200, 'the url in the webhook works as it is');
    clock.advance(7 * 24 * 3_600_000);
    assert.equal(errorOf(await graph(emulator, 'GET', `/v23.0/${image!.id}`)).code, 100);
  });

  test('a send naming an unknown media id is accepted and then fails with 131053', async () => {
    const customer = emulator.customers.get(0);
    await emulator.deliver('text', { customer });
    const answer = await send(emulator, {
      to: customer.phone,
      type: 'image',
      image: { id: '1234567890123456' },
    });
    assert.equal(answer.status, 200, answer.text);
    const id = messageIdOf(answer);
    await receiver.waitFor(() => statusesIn(receiver.posts()).some((s) => s.id === id));
    const [failed] = statusesIn(receiver.posts()).filter((s) => s.id === id);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.errors?.[0]?.code, 131053);
  });
});
