import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { campaignDb } from '../src/features/campaigns/campaigns.table.ts';
import { campaignWorld, summerSale, testOperator, type CampaignWorld } from './campaign-support.ts';
import { databaseTargets } from './support/targets.ts';

/** Polls with a generous deadline (the machine is shared): webhooks arrive when they arrive. */
async function eventually(probe: () => Promise<boolean>, what: string) {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (await probe()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Meta often accepts a marketing message and reports 131050 ("the customer stopped marketing") only
 * in the failed status afterwards; that is the same opt-out signal as the synchronous error.
 */
for (const target of databaseTargets()) {
  describe(`error 131050 in a failed status is an opt-out (${target.name})`, () => {
    let w: CampaignWorld;
    const optedIn = async (contactId: string) =>
      w.t.runtime.consent.isAllowed(w.tenant.id, contactId, 'marketing');
    const lastSource = async (contactId: string) =>
      (await w.t.runtime.consent.history(w.tenant.id, contactId, testOperator)).events.at(-1)?.source;

    before(async () => {
      w = await campaignWorld(target, { count: 4, emulator: { failureMode: 'status' } });
    });
    after(() => w.close());

    test('a one-to-one marketing message that ends failed with 131050 records the opt-out', async () => {
      const { customer, contactId } = w.people[0]!;
      const control = w.people[1]!;
      w.emulator.customers.setOptOut(customer, true);
      const sale = (id: string) =>
        w.t.runtime.messaging.send(w.tenant, id, {
          type: 'template',
          template: {
            name: 'summer_sale',
            language: { code: 'en_US' },
            components: [
              { type: 'header', parameters: [{ type: 'image', image: { id: w.headerImageId } }] },
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
        });
      const stopped = await sale(contactId);
      const delivered = await sale(control.contactId);
      await w.t.runtime.outbox.drain();
      const statusOf = async (id: string) =>
        (
          await w.t.runtime.database.db
            .selectFrom('messages')
            .select(['status', 'error_code'])
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).status;
      await eventually(async () => (await statusOf(stopped.messageId)) === 'failed', 'the failed status');
      await eventually(async () => !(await optedIn(contactId)), 'the opt-out');
      assert.equal(await lastSource(contactId), 'send_error_131050');
      await eventually(
        async () => ['delivered', 'read'].includes(await statusOf(delivered.messageId)),
        'the control delivered',
      );
      assert.equal(await optedIn(control.contactId), true, 'other customers keep their opt-in');
    });

    test('a campaign message that ends failed with 131050 records the opt-out too', async () => {
      const { customer, contactId } = w.people[2]!;
      w.emulator.customers.setOptOut(customer, true);
      await w.t.runtime.database.db
        .updateTable('contacts')
        .set({ tags: JSON.stringify(['status-wave']) })
        .where('id', '=', contactId)
        .execute();
      const campaigns = w.t.runtime.campaigns.campaigns;
      const c = await campaigns.create(
        w.tenant.id,
        summerSale(w, { segment: { tagsAll: ['status-wave'] } }),
        testOperator,
      );
      await campaigns.command(w.tenant.id, c.id, 'start', testOperator);
      await w.t.runtime.campaigns.sender.drain();
      const recipient = () =>
        campaignDb(w.t.runtime.database.db)
          .selectFrom('campaign_recipients')
          .select(['status', 'error_code'])
          .where('campaign_id', '=', c.id)
          .where('contact_id', '=', contactId)
          .executeTakeFirstOrThrow();
      await eventually(async () => (await recipient()).status === 'opted_out', 'the failed status');
      assert.equal((await recipient()).error_code, 131050);
      await eventually(async () => !(await optedIn(contactId)), 'the opt-out');
      assert.equal(await lastSource(contactId), 'send_error_131050');
      const logs = w.t.logs.join('\n');
      for (const p of w.people)
        for (const personal of [p.customer.waId!, p.customer.profileName])
          assert.ok(!logs.includes(personal), 'no customer number or name in the logs');
    });
  });
}
