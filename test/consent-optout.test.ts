import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { ConsentRequiredError } from '../src/features/consent/consent-errors.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Customer, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

/** Meta's approved marketing template in the emulated WABA, with its parameters filled in. */
const SUMMER_SALE = {
  type: 'template',
  template: {
    name: 'summer_sale',
    language: { code: 'en_US' },
    components: [
      { type: 'header', parameters: [{ type: 'image', image: { id: '1339522734477770' } }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'first_name', text: 'Jo' },
          { type: 'text', parameter_name: 'discount_code', text: 'SUMMER' },
          { type: 'text', parameter_name: 'discount_amount', text: '5%' },
        ],
      },
    ],
  },
};

for (const target of databaseTargets()) {
  describe(`each opt-out signal stops marketing sends at once (${target.name})`, () => {
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;
    let next = 0;

    /** A fresh customer who wrote in (window open) and whose marketing opt-in was imported. */
    async function optedInCustomer(): Promise<{ customer: Customer; contactId: string }> {
      const customer = emulator.customers.list.filter(
        (c) => c.onWhatsApp && c.waId !== undefined && !c.marketingLimited && !emulator.customers.optedOut(c),
      )[next++]!;
      await emulator.deliver('text', { customer, text: 'hello there' });
      await emulator.flush();
      const contact = await t.runtime.contacts.findByIdentity(tenant, { waId: customer.waId! }, testReveal);
      assert.ok(contact);
      await t.runtime.consent.importEvents(
        tenant.id,
        [
          {
            contactId: contact.id,
            purpose: 'marketing',
            event: 'opt_in',
            at: new Date(Date.now() - 60_000),
            evidence: { method: 'checkout checkbox' },
          },
        ],
        testOperator,
      );
      assert.equal(await t.runtime.consent.canSend(tenant.id, contact.id, 'marketing'), true);
      return { customer, contactId: contact.id };
    }

    const statusOf = async (messageId: string) =>
      (
        await t.runtime.database.db
          .selectFrom('messages')
          .select(['status', 'error_code'])
          .where('id', '=', messageId)
          .executeTakeFirstOrThrow()
      ).status;
    const marketingSentTo = (customer: Customer) =>
      emulator.sent().filter((s) => s.customerIndex === customer.index && s.template === 'summer_sale')
        .length;

    /** Queues a marketing send, fires the signal, then lets the outbox run: nothing reaches Meta. */
    async function assertQueuedSendStopped(signal: (customer: Customer) => Promise<void>) {
      const { customer, contactId } = await optedInCustomer();
      const { messageId } = await t.runtime.messaging.send(tenant, contactId, SUMMER_SALE);
      await signal(customer);
      assert.equal(await t.runtime.consent.canSend(tenant.id, contactId, 'marketing'), false);
      await t.runtime.outbox.drain();
      assert.equal(await statusOf(messageId), 'blocked_consent');
      assert.equal(marketingSentTo(customer), 0, 'the queued marketing message never reached Meta');
      await assert.rejects(t.runtime.messaging.send(tenant, contactId, SUMMER_SALE), ConsentRequiredError);
      return { customer, contactId };
    }

    const textFrom = (customer: Customer, body: string) => ({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: emulator.channel.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: '15550783881',
                  phone_number_id: emulator.channel.phoneNumberId,
                },
                contacts: [{ wa_id: customer.waId, profile: { name: 'Customer' } }],
                messages: [
                  {
                    from: customer.waId,
                    id: `wamid.consent${Date.now()}${next}`,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: 'text',
                    text: { body },
                  },
                ],
              },
            },
          ],
        },
      ],
    });

    before(async () => {
      emulator = await startEmulator({
        appSecret: 'consent-app-secret-0123456789',
        accessToken: 'consent-access-token-0123456789',
        verifyToken: 'consent-verify-token',
        seed: 11,
        statusDelaysMs: { sent: 5, delivered: 10, read: 20 },
      });
      t = await startTestRuntime(target, { env: { CHATVAULT_GRAPH_API_BASE: emulator.url } });
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const channel = await t.runtime.channels.add(tenant, emulator.channel);
      app = buildApp(t.runtime);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      emulator.setCallback(`${url}${channel.webhookPath}`, emulator.channel.verifyToken);
      assert.equal(await emulator.subscribe(), true);
    });
    after(async () => {
      await emulator.close();
      await app.close();
      await t.close();
    });

    test('a marketing template to a customer who never opted in is refused before Meta is called', async () => {
      const customer = emulator.customers.list.filter((c) => c.onWhatsApp && c.waId !== undefined).at(-1)!;
      await emulator.deliver('text', { customer, text: 'hi' });
      await emulator.flush();
      const contact = await t.runtime.contacts.findByIdentity(tenant, { waId: customer.waId! }, testReveal);
      await assert.rejects(t.runtime.messaging.send(tenant, contact!.id, SUMMER_SALE), ConsentRequiredError);
      // A utility template is not marketing: no opt-in needed.
      await t.runtime.messaging.send(tenant, contact!.id, {
        type: 'template',
        template: { name: 'hello_world', language: { code: 'en_US' } },
      });
    });

    test("Meta's user_preferences stop stops a queued marketing send", async () => {
      await assertQueuedSendStopped(async (customer) => {
        await emulator.deliver('user_preferences', { customer, value: 'stop' });
        await emulator.flush();
      });
    });

    test('the "Stop promotions" quick-reply button stops a queued marketing send', async () => {
      await assertQueuedSendStopped(async (customer) => {
        await emulator.deliver('button', { customer, text: 'Stop promotions' });
        await emulator.flush();
      });
    });

    test('a full-width STOP keyword stops a queued send and is confirmed inside the window; START resumes', async () => {
      const { customer, contactId } = await assertQueuedSendStopped(async (customer) => {
        await emulator.deliver(textFrom(customer, '  ＳＴＯＰ '));
        await emulator.flush();
      });
      const replies = () =>
        emulator.sent().filter((s) => s.customerIndex === customer.index && s.type === 'text').length;
      assert.equal(replies(), 1, 'one confirmation reply was sent');
      await emulator.deliver(textFrom(customer, 'stop'));
      await emulator.flush();
      await t.runtime.outbox.drain();
      assert.equal(replies(), 1, 'a repeated STOP changes nothing and is not confirmed again');
      await emulator.deliver(textFrom(customer, 'start'));
      await emulator.flush();
      await t.runtime.outbox.drain();
      assert.equal(await t.runtime.consent.canSend(tenant.id, contactId, 'marketing'), true);
      assert.equal(replies(), 2);
      const history = await t.runtime.consent.history(tenant.id, contactId, testOperator);
      assert.deepEqual(
        history.events.map((e) => [e.event, e.source]),
        [
          ['opt_in', 'import'],
          ['opt_out', 'keyword'],
          ['opt_out', 'keyword'],
          ['opt_in', 'keyword'],
        ],
      );
    });

    test('a Chinese keyword (退订) stops marketing too', async () => {
      await assertQueuedSendStopped(async (customer) => {
        await emulator.deliver(textFrom(customer, '退订'));
        await emulator.flush();
      });
    });

    test('send error 131050 records the opt-out and stops the marketing send queued behind it', async () => {
      const { customer, contactId } = await optedInCustomer();
      emulator.customers.setOptOut(customer, true);
      const first = await t.runtime.messaging.send(tenant, contactId, SUMMER_SALE);
      const second = await t.runtime.messaging.send(tenant, contactId, SUMMER_SALE);
      // The second send waits in the queue (as behind a backoff) while the first one reaches Meta.
      const holdBack = (at: string) =>
        t.runtime.database.db
          .updateTable('outbox')
          .set({ next_attempt_at: at })
          .where('idempotency_key', '=', `send_message:${second.messageId}`)
          .execute();
      await holdBack('9999-01-01T00:00:00.000Z');
      await t.runtime.outbox.drain();
      assert.equal(await statusOf(first.messageId), 'failed');
      assert.equal(await statusOf(second.messageId), 'queued');
      await holdBack(new Date().toISOString());
      await t.runtime.outbox.drain();
      assert.equal(await statusOf(second.messageId), 'blocked_consent');
      assert.equal(marketingSentTo(customer), 0);
      assert.equal(await t.runtime.consent.canSend(tenant.id, contactId, 'marketing'), false);
      const history = await t.runtime.consent.history(tenant.id, contactId, testOperator);
      assert.equal(history.events.at(-1)?.source, 'send_error_131050');
    });
  });
}
