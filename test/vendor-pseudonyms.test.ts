import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { verifyVendorWebhook } from '../src/features/vendor-webhooks/signature.ts';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { messagesDelivery, metaJson, PHONE_NUMBER_ID, sign, textMessage, WABA_ID } from './support/meta.ts';
import { databaseTargets } from './support/targets.ts';
import { asVendor, issueKey, registerVendor, routeTable } from './support/vendors.ts';

const secrets = {
  appSecret: 'app-secret-0123456789abcdef',
  verifyToken: 'verify-token-xyz',
  accessToken: 'EAAG-access-token-0123456789',
  phoneNumberId: PHONE_NUMBER_ID,
  wabaId: WABA_ID,
};
const customer = { waId: '16505551234', phone: '+16505551234', name: 'Sheena Nelson' };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Listed {
  contacts: { id: string; phone?: string; profileName?: string }[];
}

/** A vendor's receiver on loopback: records every delivery, answers 200. */
async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/chatvault`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const target of databaseTargets()) {
  describe(`vendors get pseudonymous, allowlisted data everywhere (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let masked: { id: string; token: string };
    let webhookSecret = '';
    let phones: string[] = [];

    const postWebhook = async (path: string, delivery: object) => {
      const body = metaJson(delivery);
      const res = await f.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secrets.appSecret) },
        payload: body,
      });
      assert.equal(res.statusCode, 200);
    };
    /** No form of any customer's number: E.164, digits only. */
    const assertNoPhone = (text: string, where: string) => {
      for (const p of phones) {
        assert.ok(!text.includes(p), `${where} carries a clear phone number`);
        assert.ok(!text.includes(p.replace(/\D/g, '')), `${where} carries a phone number's digits`);
      }
    };

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
      receiver = await startReceiver();
      // The agreement would allow every category: the key's own allowlist must keep the phone masked.
      const vendor = await registerVendor(f, admin, {
        dataCategories: ['phone', 'name', 'email', 'attributes', 'message_content'],
      });
      masked = await issueKey(f, admin, vendor, {
        scopes: { contacts: 'write', messages: 'read' },
        fields: {
          phone: 'masked',
          profileName: 'clear',
          email: 'masked',
          attributes: 'masked',
          messageBody: 'clear',
        },
      });
      const sub = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendor}/webhooks`, {
        keyId: masked.id,
        url: receiver.url,
        events: ['message.received', 'contact.opted_out'],
      });
      assert.equal(sub.statusCode, 201);
      webhookSecret = sub.json<{ secret: string }>().secret;

      const path = (await f.t.runtime.channels.add(f.acme, secrets)).webhookPath;
      await postWebhook(
        path,
        textMessage(
          customer.waId,
          customer.name,
          'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTk',
          `call me on ${customer.phone} or ${customer.waId}`,
        ),
      );
      await postWebhook(
        path,
        messagesDelivery(
          {
            contacts: [{ profile: { name: customer.name }, wa_id: customer.waId }],
            user_preferences: [
              { wa_id: customer.waId, category: 'marketing_messages', value: 'stop', timestamp: 1749416400 },
            ],
          },
          'user_preferences',
        ),
      );
      await f.t.runtime.outbox.drain();
      phones = [...f.people.map((p) => p.phone), customer.phone];
    });
    after(async () => {
      await receiver.close();
      await f.close();
    });

    test('a key with masked-only phone never receives a clear phone number from any vendor endpoint', async () => {
      const v = asVendor(f.app, masked.token);
      const listed = await v.get('/api/vendor/v1/contacts');
      assert.equal(listed.statusCode, 200);
      const contacts = listed.json<Listed>().contacts;
      const ours = contacts.find((c) => c.profileName === customer.name);
      assert.ok(ours, 'the ingested customer is listed (name in clear, as the key allows)');
      assert.match(ours.phone!, /\*{4}/, 'the phone is masked');
      const one = (await v.get(`/api/vendor/v1/contacts/${ours.id}`)).json<{
        contact: { conversations: string[] };
      }>();
      const conversation = one.contact.conversations[0]!;

      const routes = routeTable(f.app).filter((r) => r.url.startsWith('/api/vendor/'));
      assert.ok(
        routes.length >= 5,
        `the sweep found the vendor routes (${routes.map((r) => r.url).join(' ')})`,
      );
      for (const r of routes) {
        const url = r.url.replace(':id', r.url.includes('/conversations/') ? conversation : ours.id);
        const res = await v.inject(r.method, url, r.method === 'GET' ? undefined : { tag: 'vip' });
        assert.equal(res.statusCode, 200, `${r.method} ${r.url} answers (${res.body.slice(0, 200)})`);
        assertNoPhone(res.body, `${r.method} ${r.url}`);
      }
      const messages = await v.get(`/api/vendor/v1/conversations/${conversation}/messages`);
      const text = messages.json<{ messages: { text?: string }[] }>().messages[0]!.text!;
      assert.match(
        text,
        /^call me on \+1 650\*{4}1234 or \+1 650\*{4}1234$/,
        'the number typed in a message is masked too',
      );
    });

    test('...and never from a webhook delivery, which is signed and verifies with the project verifier', () => {
      assert.equal(receiver.received.length, 2, 'one message.received and one contact.opted_out');
      const types = receiver.received
        .map((r) => JSON.parse(r.body) as { type: string })
        .map((e) => e.type)
        .sort();
      assert.deepEqual(types, ['contact.opted_out', 'message.received']);
      for (const r of receiver.received) {
        assertNoPhone(r.body, 'a webhook delivery');
        const header = r.headers['chatvault-signature'] as string;
        assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
        assert.equal(verifyVendorWebhook(webhookSecret, header, r.body, f.clock.now()), true);
        assert.equal(
          verifyVendorWebhook(webhookSecret, header, `${r.body} `, f.clock.now()),
          false,
          'a changed body fails',
        );
        assert.equal(
          verifyVendorWebhook('whsec_other', header, r.body, f.clock.now()),
          false,
          'another secret fails',
        );
      }
      const message = JSON.parse(
        receiver.received.find((r) => r.body.includes('message.received'))!.body,
      ) as {
        data: { message: { text: string }; contact: { phone: string } };
      };
      assert.match(message.data.contact.phone, /\*{4}/);
      assert.match(message.data.message.text, /\+1 650\*{4}1234/);
    });

    test('a replayed webhook (old timestamp) fails verification', () => {
      const r = receiver.received[0]!;
      const header = r.headers['chatvault-signature'] as string;
      const later = new Date(f.clock.now().getTime() + 10 * 60_000);
      assert.equal(verifyVendorWebhook(webhookSecret, header, r.body, later), false);
      assert.equal(
        verifyVendorWebhook(webhookSecret, header, r.body, later, 3600),
        true,
        'inside a wider tolerance',
      );
    });

    test('deliveries are logged and audited as reads by the key', async () => {
      const { webhooks } = (
        await asStaff(f.app, admin).get(
          `/api/v1/vendors/${(await f.t.runtime.apiKeys.get(f.acme.id, masked.id)).vendorId}/webhooks`,
        )
      ).json<{ webhooks: { id: string }[] }>();
      const log = await asStaff(f.app, admin).get(`/api/v1/vendor-webhooks/${webhooks[0]!.id}/deliveries`);
      const deliveries = log.json<{ deliveries: { outcome: string; httpStatus: number }[] }>().deliveries;
      assert.equal(deliveries.length, 2);
      assert.ok(deliveries.every((d) => d.outcome === 'delivered' && d.httpStatus === 200));
      await f.t.runtime.audit.sequence();
      const { entries } = await f.t.runtime.audit.query(f.acme.id, {
        actorType: 'api_key',
        actorId: masked.id,
      });
      assert.ok(entries.filter((e) => e.action === 'sensitive_read').length >= 2);
    });

    test('two vendors cannot join: different handles and pseudonyms for the same customers', async () => {
      const other = await registerVendor(f, admin, { name: 'Other Analytics' });
      const otherKey = await issueKey(f, admin, other);
      const a = (await asVendor(f.app, otherKey.token).get('/api/vendor/v1/contacts')).json<Listed>()
        .contacts;
      const third = await registerVendor(f, admin, { name: 'Third Ads' });
      const thirdKey = await issueKey(f, admin, third);
      const b = (await asVendor(f.app, thirdKey.token).get('/api/vendor/v1/contacts')).json<Listed>()
        .contacts;
      assert.equal(a.length, b.length);
      for (const c of a) assert.match(c.phone!, /^psn_[0-9a-z]{26}$/, 'phones are pseudonyms by default');
      const seenA = new Set(a.flatMap((c) => [c.id, c.phone, c.profileName]));
      for (const c of b) for (const v of [c.id, c.phone, c.profileName]) assert.ok(!seenA.has(v));
      const again = (await asVendor(f.app, otherKey.token).get('/api/vendor/v1/contacts')).json<Listed>()
        .contacts;
      assert.deepEqual(again, a, 'pseudonyms and handles are stable');
      const foreign = await asVendor(f.app, thirdKey.token).get(`/api/vendor/v1/contacts/${a[0]!.id}`);
      assert.equal(foreign.statusCode, 404, "another vendor's handle means nothing");
    });
  });
}
