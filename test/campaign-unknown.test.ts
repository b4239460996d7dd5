import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { campaignDb } from '../src/features/campaigns/campaigns.table.ts';
import {
  campaignWorld,
  receivedBy,
  summerSale,
  testOperator,
  type CampaignWorld,
} from './campaign-support.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`campaign sends cut off by a crash (${target.name})`, () => {
    let w: CampaignWorld;
    const db = () => campaignDb(w.t.runtime.database.db);
    const statusOf = async (id: string) =>
      (await db().selectFrom('campaign_recipients').select('status').where('id', '=', id).executeTakeFirst())
        ?.status;

    before(async () => {
      w = await campaignWorld(target, { count: 5 });
    });
    after(async () => {
      await w.close();
    });

    test('are held unknown with guidance, never resent, and resolved by the status webhook for their id', async () => {
      const campaigns = w.t.runtime.campaigns.campaigns;
      const c = await campaigns.create(w.tenant.id, summerSale(w, { ratePerSecond: 5 }), testOperator);
      await campaigns.command(w.tenant.id, c.id, 'start', testOperator);
      const rows = await db()
        .selectFrom('campaign_recipients')
        .select(['id', 'contact_id'])
        .where('campaign_id', '=', c.id)
        .orderBy('id')
        .execute();
      assert.equal(rows.length, 5);
      // A process died inside two Graph API calls: their `sending` leases ran out.
      const [reached, lost] = [rows[0]!, rows[1]!];
      const past = new Date(Date.now() - 1000).toISOString();
      await db()
        .updateTable('campaign_recipients')
        .set({ status: 'sending', next_at: past, sent_at: past })
        .where('id', 'in', [reached.id, lost.id])
        .execute();
      await w.t.runtime.campaigns.sender.drain();
      assert.equal(await statusOf(reached.id), 'unknown');
      assert.equal(await statusOf(lost.id), 'unknown');
      const got = receivedBy(w);
      const person = (contactId: string) => w.people.find((p) => p.contactId === contactId)!;
      assert.equal(got.get(person(reached.contact_id).customer.index) ?? 0, 0, 'never resent');
      assert.equal(got.get(person(lost.contact_id).customer.index) ?? 0, 0, 'never resent');
      for (const r of rows.slice(2)) assert.equal(got.get(person(r.contact_id).customer.index), 1);
      let results = await campaigns.results(w.tenant.id, c.id);
      assert.deepEqual([results.status, results.sent, results.unknown], ['done', 3, 2]);
      assert.match(results.unknownHint ?? '', /never resent automatically/);

      // The cut-off call to `reached` had in fact got through to Meta: its statuses arrive by webhook,
      // carrying the row id the call passed as biz_opaque_callback_data.
      await w.t.runtime.graph.sendMessage(w.channel, {
        to: person(reached.contact_id).customer.phone,
        biz_opaque_callback_data: reached.id,
        type: 'template',
        template: { name: 'hello_world', language: { code: 'en_US' } },
      });
      const end = Date.now() + 30_000;
      while (!['delivered', 'read'].includes((await statusOf(reached.id)) ?? '') && Date.now() < end)
        await sleep(50);
      assert.ok(['delivered', 'read'].includes((await statusOf(reached.id)) ?? ''), 'resolved by webhook');
      await w.emulator.flush();
      await w.t.runtime.campaigns.sender.drain();
      assert.equal(await statusOf(lost.id), 'unknown', 'no webhook, still unknown');
      results = await campaigns.results(w.tenant.id, c.id);
      assert.deepEqual([results.sent, results.unknown], [4, 1]);
      assert.ok(results.delivered >= 1);
      const summer = w.emulator.sent().filter((s) => s.template === 'summer_sale');
      assert.equal(summer.length, 3, 'the campaign itself sent each of the others once');
    });
  });
}
