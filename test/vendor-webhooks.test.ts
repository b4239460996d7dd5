import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { verifyVendorWebhook } from '../src/features/vendor-webhooks/signature.ts';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
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

interface Delivery {
  eventId: string;
  attempt: number;
  outcome: string;
  httpStatus: number | null;
}

for (const target of databaseTargets()) {
  describe(`outbound vendor webhooks: retries, delivery log, suspended vendors (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff;
    let server: http.Server;
    let url = '';
    let path = '';
    let vendor = '';
    let webhookId = '';
    let secret = '';
    let failNext = 0;
    const received: { body: string; signature: string }[] = [];
    let n = 0;

    const ingestOne = async () => {
      n++;
      const body = metaJson(
        textMessage('16505550100', 'Ada', `wamid.retry${n}AAAAAAAAAAAAAAAAAAAAAA`, `hello ${n}`),
      );
      const res = await f.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secrets.appSecret) },
        payload: body,
      });
      assert.equal(res.statusCode, 200);
    };
    const deliveries = async () =>
      (await asStaff(f.app, admin).get(`/api/v1/vendor-webhooks/${webhookId}/deliveries`)).json<{
        deliveries: Delivery[];
      }>().deliveries;

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (failNext > 0) {
            failNext--;
            res.writeHead(500).end();
            return;
          }
          received.push({
            body: Buffer.concat(chunks).toString('utf8'),
            signature: req.headers['chatvault-signature'] as string,
          });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      vendor = await registerVendor(f, admin);
      const key = await issueKey(f, admin, vendor);
      const sub = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendor}/webhooks`, {
        keyId: key.id,
        url,
        events: ['message.received'],
      });
      assert.equal(sub.statusCode, 201);
      ({ secret } = sub.json<{ secret: string }>());
      webhookId = sub.json<{ webhook: { id: string } }>().webhook.id;
      path = (await f.t.runtime.channels.add(f.acme, secrets)).webhookPath;
    });
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await f.close();
    });

    test('a subscription refuses plain http to a public host and a key of another vendor', async () => {
      const key = await issueKey(f, admin, vendor);
      const publicHttp = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendor}/webhooks`, {
        keyId: key.id,
        url: 'http://example.com/hook',
        events: ['message.received'],
      });
      assert.equal(publicHttp.statusCode, 400);
      const other = await registerVendor(f, admin, { name: 'Other' });
      const foreign = await asStaff(f.app, admin).post(`/api/v1/vendors/${other}/webhooks`, {
        keyId: key.id,
        url,
        events: ['message.received'],
      });
      assert.equal(foreign.statusCode, 400);
    });

    test('a failed delivery is retried with backoff through the outbox and logged each time', async () => {
      failNext = 2;
      await ingestOne();
      await f.t.runtime.outbox.drain();
      assert.equal(received.length, 0);
      f.clock.advance(3_000);
      await f.t.runtime.outbox.drain();
      assert.equal(received.length, 0, 'the second attempt failed too');
      f.clock.advance(3_000);
      await f.t.runtime.outbox.drain();
      assert.equal(received.length, 0, 'the third attempt waits for its longer backoff (4 s)');
      f.clock.advance(2_000);
      await f.t.runtime.outbox.drain();
      assert.equal(received.length, 1);
      assert.ok(verifyVendorWebhook(secret, received[0]!.signature, received[0]!.body, f.clock.now()));
      const log = await deliveries();
      assert.deepEqual(log.map((d) => [d.attempt, d.outcome, d.httpStatus]).reverse(), [
        [1, 'retry', 500],
        [2, 'retry', 500],
        [3, 'delivered', 204],
      ]);
      assert.equal(new Set(log.map((d) => d.eventId)).size, 1, 'one event, three attempts');
    });

    test('while the vendor is suspended, events are not sent (logged as skipped)', async () => {
      await f.t.runtime.vendors.suspend(f.acme.id, vendor, 'incident inc_2: containment', {
        type: 'system',
        id: 'incident-playbook',
      });
      await ingestOne();
      await f.t.runtime.outbox.drain();
      assert.equal(received.length, 1, 'nothing new reached the vendor');
      assert.equal((await deliveries())[0]!.outcome, 'skipped');
    });
  });
}
