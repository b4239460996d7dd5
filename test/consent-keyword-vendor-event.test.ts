import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture } from './support/access.ts';
import { metaJson, PHONE_NUMBER_ID, sign, textMessage, WABA_ID } from './support/meta.ts';
import { databaseTargets } from './support/targets.ts';
import { issueKey, registerVendor } from './support/vendors.ts';

const secrets = {
  appSecret: 'app-secret-0123456789abcdef',
  verifyToken: 'verify-token-xyz',
  accessToken: 'EAAG-access-token-0123456789',
  phoneNumberId: PHONE_NUMBER_ID,
  wabaId: WABA_ID,
};
const customer = { waId: '16505559876', name: 'Ada Keyword' };

/** A vendor's receiver on loopback: records the event type of every delivery, answers 200. */
async function startReceiver() {
  const types: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      types.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string }).type);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/chatvault`;
  return { url, types, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const target of databaseTargets()) {
  describe(`a STOP keyword is an opt-out vendors hear about (${target.name})`, () => {
    let f: AccessFixture;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let path = '';
    const post = async (wamid: string, text: string) => {
      const body = metaJson(textMessage(customer.waId, customer.name, wamid, text));
      const res = await f.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secrets.appSecret) },
        payload: body,
      });
      assert.equal(res.statusCode, 200);
      await f.t.runtime.outbox.drain();
    };

    before(async () => {
      f = await startAccessFixture(target);
      const admin = await f.hire('admin');
      receiver = await startReceiver();
      const vendor = await registerVendor(f, admin);
      const key = await issueKey(f, admin, vendor, { scopes: { contacts: 'read' } });
      const sub = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendor}/webhooks`, {
        keyId: key.id,
        url: receiver.url,
        events: ['contact.opted_out'],
      });
      assert.equal(sub.statusCode, 201, sub.body);
      path = (await f.t.runtime.channels.add(f.acme, secrets)).webhookPath;
    });
    after(async () => {
      await receiver.close();
      await f.close();
    });

    test('contact.opted_out is delivered once for a STOP message, not for other text or a repeated STOP', async () => {
      await post('wamid.HBgLMTY1MDU1NTk4NzYVAgASGBQzQUFBQQ', 'hello, is the shop open?');
      assert.deepEqual(receiver.types, [], 'an ordinary message is no opt-out');
      await post('wamid.HBgLMTY1MDU1NTk4NzYVAgASGBQzQUFBQg', 'STOP');
      assert.deepEqual(receiver.types, ['contact.opted_out']);
      await post('wamid.HBgLMTY1MDU1NTk4NzYVAgASGBQzQUFBQw', 'stop');
      assert.deepEqual(receiver.types, ['contact.opted_out'], 'already opted out: no second event');
    });
  });
}
