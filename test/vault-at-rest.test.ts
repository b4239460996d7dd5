import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { buildApp } from '../src/app.ts';
import { secure } from '../src/http/route-security.ts';
import { maskContact, type Contact } from '../src/features/contacts/contacts.service.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { findLeaks, postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';
import { testOperator, testReveal } from './support/actors.ts';

const generated = fakeCustomers(1030, 7);
const customers = generated.slice(0, 1000);
const extra = generated.slice(1000);

for (const target of databaseTargets()) {
  describe(`personal data at rest (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    const ids: string[] = [];

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme', expectedContacts: 10_000 });
      for (const customer of customers)
        ids.push((await t.runtime.contacts.create(tenant, customer, testOperator)).id);
      for (const customer of customers.slice(0, 20))
        await t.runtime.contacts.findByPhone(tenant, customer.phone, testReveal);
    });
    after(() => t.close());

    test('a stored customer is found again by phone, last four digits, e-mail, identity and id', async () => {
      const c = customers[42]!;
      const byPhone = await t.runtime.contacts.findByPhone(tenant, c.phone, testReveal);
      assert.deepEqual(
        byPhone.map((x) => x.id),
        [ids[42]],
      );
      assert.equal(byPhone[0]?.profileName, c.profileName);
      assert.deepEqual(byPhone[0]?.attributes, c.attributes);
      const byLast4 = await t.runtime.contacts.findByLastFour(tenant, c.phone.slice(-4), testReveal);
      assert.ok(byLast4.some((x) => x.id === ids[42]));
      assert.ok(byLast4.every((x) => x.phone?.endsWith(c.phone.slice(-4))));
      assert.deepEqual(
        (await t.runtime.contacts.findByEmail(tenant, c.email.toUpperCase(), testReveal)).map((x) => x.id),
        [ids[42]],
      );
      assert.equal(
        (await t.runtime.contacts.findByIdentity(tenant, { waId: c.waId }, testReveal))?.id,
        ids[42],
      );
      assert.equal((await t.runtime.contacts.getById(tenant, ids[42]!, testReveal)).email, c.email);
    });

    test('a number that is not stored finds nothing, even when its blind indexes collide', async () => {
      assert.deepEqual(await t.runtime.contacts.findByPhone(tenant, '+8613800000001', testReveal), []);
    });

    test('no phone number, name or e-mail of 1,000 customers is on disk, in any common encoding', () => {
      const bytes =
        target.name === 'sqlite'
          ? sqliteBytes(t.dataDir)
          : postgresDump(t.env.CHATVAULT_DATABASE_URL!, t.env.CHATVAULT_DATABASE_SCHEMA!);
      assert.ok(bytes.length > 100_000, 'the scan covers the stored data');
      // The scan can fail: the tenant name, stored in the clear, is found by the same routine.
      assert.ok(bytes.includes(Buffer.from('Acme')));
      assert.deepEqual(findLeaks(bytes, customers), []);
    });

    test('no phone number, name or e-mail reaches the logs, even through requests and errors', async () => {
      const app = buildApp(t.runtime);
      app.post('/test/contacts', secure.by('public', 'a test-only probe route'), (request) =>
        t.runtime.contacts.create(tenant, request.body as never, testOperator),
      );
      app.post('/test/find', secure.by('public', 'a test-only probe route'), async (request) => {
        const { phone } = request.body as { phone: string };
        return maskedAll(await t.runtime.contacts.findByPhone(tenant, phone, testReveal));
      });
      for (const c of extra) {
        const created = await app.inject({ method: 'POST', url: '/test/contacts', payload: c });
        assert.equal(created.statusCode, 200);
        const again = await app.inject({ method: 'POST', url: '/test/contacts', payload: c });
        assert.equal(again.statusCode, 409);
        const found = await app.inject({ method: 'POST', url: '/test/find', payload: { phone: c.phone } });
        assert.equal(found.json<unknown[]>().length, 1);
        const bad = await app.inject({
          method: 'POST',
          url: '/test/contacts',
          payload: { ...c, waId: `x${c.waId}` },
        });
        assert.equal(bad.statusCode, 400);
        assert.deepEqual(findLeaks(Buffer.from(bad.body), [c]), []);
      }
      await app.close();
      const logged = t.logs.join('');
      assert.ok(logged.includes('request completed'), 'requests were logged at debug level');
      assert.deepEqual(findLeaks(Buffer.from(logged), [...customers, ...extra]), []);
    });
  });
}

function maskedAll(contacts: Contact[]) {
  return contacts.map(maskContact);
}
