import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture } from './support/access.ts';
import { messagesDelivery, metaJson, PHONE_NUMBER_ID, sign, textMessage, WABA_ID } from './support/meta.ts';
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
  describe(`every opt-out signal is one vendors hear about (${target.name})`, () => {
    let f: AccessFixture;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let path = '';
    const post = async (wamid: string, text: string) =>
      deliver(metaJson(textMessage(customer.waId, customer.name, wamid, text)));
    const deliver = async (body: Buffer) => {
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

    test("Meta's user_preferences stop, an imported opt-out and error 131050 reach vendors too, once each", async () => {
      const before = receiver.types.length;
      const prefs = (value: 'stop' | 'resume', timestamp: number) =>
        metaJson(
          messagesDelivery(
            {
              contacts: [{ wa_id: '16505550111', profile: { name: 'Bo Prefs' } }],
              user_preferences: [{ wa_id: '16505550111', category: 'marketing_messages', value, timestamp }],
            },
            'user_preferences',
          ),
        );
      await deliver(prefs('stop', 1_780_000_000));
      await deliver(prefs('stop', 1_780_000_060));
      assert.equal(receiver.types.length, before + 1, 'a repeated stop changes nothing and is not re-sent');
      const marketer = await f.hire('marketer');
      const items = (event: 'opt_in' | 'opt_out', at: string) => [
        { contactId: f.ids[1], purpose: 'marketing', event, at, evidence: { method: 'phone call' } },
      ];
      const optIn = await asStaff(f.app, marketer).post('/api/v1/consent/import', {
        items: items('opt_in', '2026-01-02T00:00:00.000Z'),
      });
      assert.equal(optIn.statusCode, 201, optIn.body);
      await f.t.runtime.outbox.drain();
      assert.equal(receiver.types.length, before + 1, 'an opt-in is no opt-out');
      const optOut = await asStaff(f.app, marketer).post('/api/v1/consent/import', {
        items: items('opt_out', '2026-01-03T00:00:00.000Z'),
      });
      assert.equal(optOut.statusCode, 201, optOut.body);
      await f.t.runtime.outbox.drain();
      assert.equal(receiver.types.length, before + 2, 'an imported opt-out is announced');
      // What the send job and the campaign sender record when Meta answers 131050.
      const { consent, database } = f.t.runtime;
      const record = (event: 'opt_in' | 'opt_out') =>
        database.db.transaction().execute((trx) =>
          consent.record(trx, {
            tenantId: f.acme.id,
            contactId: f.ids[2]!,
            purpose: 'marketing',
            event,
            source: event === 'opt_in' ? 'agent' : 'send_error_131050',
            at: new Date(),
          }),
        );
      await record('opt_in');
      await record('opt_out');
      await f.t.runtime.outbox.drain();
      assert.deepEqual(receiver.types.slice(before), [
        'contact.opted_out',
        'contact.opted_out',
        'contact.opted_out',
      ]);
    });
  });
}
