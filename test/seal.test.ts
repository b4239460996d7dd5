import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { secure } from '../src/http/route-security.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { localPaths } from '../src/features/keys/local-provider.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { InvalidSharesError, SealedError } from '../src/lib/errors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { metaJson, PHONE_NUMBER_ID, sign, textMessage, WABA_ID } from './support/meta.ts';

const [customer] = fakeCustomers(1, 5);
const channelSecrets = {
  appSecret: 'app-secret-sealed-0123456789',
  verifyToken: 'verify-token-sealed',
  accessToken: 'EAAG-sealed-access-token-0123',
  phoneNumberId: PHONE_NUMBER_ID,
  wabaId: WABA_ID,
};

for (const target of databaseTargets()) {
  describe(`seal and unseal (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let contactId: string;
    let app: FastifyInstance;
    let webhookPath = '';
    const delivery = metaJson(
      textMessage('16505550199', 'Sealed Sender', 'wamid.SEALED0000000000000001', 'sent while sealed'),
    );
    const deliver = () =>
      app.inject({
        method: 'POST',
        url: webhookPath,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': sign(delivery, channelSecrets.appSecret),
        },
        payload: delivery,
      });
    const storedMessages = async () =>
      Number(
        (
          await t.runtime.database.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      webhookPath = (await t.runtime.channels.add(tenant, channelSecrets)).webhookPath;
      contactId = (await t.runtime.contacts.create(tenant, customer!, testOperator)).id;
      app = buildApp(t.runtime);
      // A probe route over the real service, standing in for the feature routes built later.
      app.get(
        '/probe/contact',
        secure.by('public', 'a test-only probe route'),
        async () => (await t.runtime.contacts.getById(tenant, contactId, testReveal)).id,
      );
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    const unseal = (share: string) =>
      app.inject({ method: 'POST', url: '/api/v1/sys/unseal', payload: { share } });

    test('sealing makes every read of personal data fail with "sealed", and HTTP answers 503', async () => {
      assert.equal((await app.inject('/probe/contact')).statusCode, 200);
      await t.runtime.seal();
      await assert.rejects(t.runtime.contacts.getById(tenant, contactId, testReveal), SealedError);
      await assert.rejects(t.runtime.contacts.findByPhone(tenant, customer!.phone, testReveal), SealedError);
      await assert.rejects(
        t.runtime.contacts.create(tenant, fakeCustomers(2, 6)[1]!, testOperator),
        SealedError,
      );
      const res = await app.inject('/probe/contact');
      assert.equal(res.statusCode, 503);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'sealed');
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 503);
      assert.deepEqual(ready.json(), { status: 'unavailable', sealed: true, database: 'up' });
    });

    test('a webhook delivery while sealed answers 503 (Meta retries it) and stores nothing', async () => {
      const res = await deliver();
      assert.equal(res.statusCode, 503);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'sealed');
      assert.equal(await storedMessages(), 0);
    });

    test('a deliberate seal survives a restart: auto-unseal stays off', () => {
      assert.ok(fs.existsSync(localPaths(t.dataDir).sealedMarker));
      assert.equal(t.runtime.provider.autoUnseal(), false);
      assert.equal(t.runtime.provider.isSealed(), true);
    });

    test('k−1 shares do not unseal', async () => {
      for (const share of t.shares.slice(0, 2)) {
        const res = await unseal(share);
        assert.equal(res.statusCode, 200);
        assert.equal(res.json<{ sealed: boolean }>().sealed, true);
      }
      assert.deepEqual((await app.inject('/api/v1/sys/seal-status')).json(), {
        sealed: true,
        received: 2,
        threshold: 3,
      });
      t.runtime.provider.resetUnseal();
      assert.equal((await app.inject('/probe/contact')).statusCode, 503);
    });

    test('a wrong share is detected and nothing is unsealed', async () => {
      const other = await startTestRuntime(target);
      try {
        await unseal(t.shares[0]!);
        await unseal(t.shares[1]!);
        const res = await unseal(other.shares[2]!);
        assert.equal(res.statusCode, 400);
        assert.equal(res.json<{ error: { code: string } }>().error.code, 'invalid_shares');
        assert.ok(!res.body.includes(other.shares[2]!), 'the share is not echoed');
        assert.equal(t.runtime.provider.isSealed(), true);
      } finally {
        await other.close();
      }
      const typo = t.shares[2]!.slice(0, -3) + (t.shares[2]!.endsWith('a') ? 'bbb' : 'aaa');
      await assert.rejects(
        Promise.all(t.shares.slice(0, 2).map((s) => t.runtime.provider.submitShare(s))).then(() =>
          t.runtime.provider.submitShare(typo),
        ),
        InvalidSharesError,
      );
      assert.equal(t.runtime.provider.isSealed(), true);
    });

    test('k shares, one at a time, unseal; reads work again and the seal marker is lifted', async () => {
      t.runtime.provider.resetUnseal();
      for (const share of [t.shares[4]!, t.shares[1]!, t.shares[3]!])
        assert.equal((await unseal(share)).statusCode, 200);
      assert.equal(t.runtime.provider.isSealed(), false);
      assert.equal((await app.inject('/readyz')).statusCode, 200);
      assert.equal((await app.inject('/probe/contact')).body, contactId);
      assert.equal((await t.runtime.contacts.findByPhone(tenant, customer!.phone, testReveal)).length, 1);
      assert.equal(fs.existsSync(localPaths(t.dataDir).sealedMarker), false);
    });

    test("after unseal, Meta's retry of the refused delivery is stored once", async () => {
      assert.equal((await deliver()).statusCode, 200);
      assert.equal(await storedMessages(), 1);
      assert.equal((await deliver()).statusCode, 200);
      assert.equal(await storedMessages(), 1);
    });

    test('sealing zeroes the cached keys it drops', async () => {
      const key = await t.runtime.keyring.contactKey(tenant.id, contactId, 1);
      assert.ok(key.key.some((b) => b !== 0));
      await t.runtime.seal();
      assert.ok(key.key.every((b) => b === 0));
      for (const share of t.shares.slice(0, 3)) await t.runtime.provider.submitShare(share);
      assert.equal((await t.runtime.contacts.getById(tenant, contactId, testReveal)).phone, customer!.phone);
    });
  });
}
