import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inQuietHours, localHour } from '../src/features/campaigns/countries.ts';
import { campaignDb } from '../src/features/campaigns/campaigns.table.ts';
import {
  campaignWorld,
  movableClock,
  receivedBy,
  summerSale,
  testOperator,
  type CampaignWorld,
} from './campaign-support.ts';
import { buildApp } from '../src/app.ts';
import { asStaff, createStaff, installTestActors, type TestStaff } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`consent-based campaigns (${target.name})`, () => {
    const clock = movableClock();
    let w: CampaignWorld;
    const campaigns = () => w.t.runtime.campaigns.campaigns;
    const sender = () => w.t.runtime.campaigns.sender;
    const db = () => campaignDb(w.t.runtime.database.db);

    async function run(input: Record<string, unknown>) {
      const c = await campaigns().create(w.tenant.id, input, testOperator);
      await campaigns().command(w.tenant.id, c.id, 'start', testOperator);
      return c.id;
    }
    const statusOf = async (campaignId: string, contactId: string) =>
      (
        await db()
          .selectFrom('campaign_recipients')
          .select('status')
          .where('campaign_id', '=', campaignId)
          .where('contact_id', '=', contactId)
          .executeTakeFirst()
      )?.status;
    const tagged = (tag: string) => ({ tagsAll: [tag] });

    before(async () => {
      w = await campaignWorld(target, { count: 24, clock, emulator: { throughput: 8 } });
    });
    after(async () => {
      await w.close();
    });

    test('templates come from the Graph API with category, language, status and parameters; only APPROVED ones are usable', async () => {
      const list = await w.t.runtime.campaigns.templates.list(w.tenant.id);
      const sale = list.find((t) => t.name === 'summer_sale')!;
      assert.deepEqual(
        [sale.category, sale.language, sale.status, sale.usable],
        ['MARKETING', 'en_US', 'APPROVED', true],
      );
      assert.deepEqual(sale.parameters, ['header:image', 'first_name', 'discount_code', 'discount_amount']);
      const pending = list.find((t) => t.name === 'winter_promo')!;
      assert.equal(pending.usable, false);
      await assert.rejects(
        campaigns().create(
          w.tenant.id,
          { ...summerSale(w), template: { name: 'winter_promo', language: 'en_US' } },
          testOperator,
        ),
        /PENDING, not APPROVED/,
      );
    });

    test('status and category webhooks keep templates current', async () => {
      const change = (field: string, value: Record<string, unknown>) => ({
        object: 'whatsapp_business_account',
        entry: [
          { id: w.emulator.channel.wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] },
        ],
      });
      await w.emulator.deliver(
        change('message_template_status_update', {
          event: 'APPROVED',
          message_template_id: 1,
          message_template_name: 'winter_promo',
          message_template_language: 'en_US',
        }),
      );
      await w.emulator.deliver(
        change('template_category_update', {
          message_template_id: 2,
          message_template_name: 'hello_world',
          message_template_language: 'en_US',
          previous_category: 'UTILITY',
          new_category: 'MARKETING',
        }),
      );
      const list = await w.t.runtime.campaigns.templates.list(w.tenant.id);
      assert.equal(list.find((t) => t.name === 'winter_promo')!.usable, true);
      assert.equal(list.find((t) => t.name === 'hello_world')!.category, 'MARKETING');
    });

    test('the preview counts opted-in members only and shows fields as placeholders, never a member', async () => {
      const vip = w.people.filter((_, i) => i % 2 === 0);
      const preview = await campaigns().preview(w.tenant.id, summerSale(w, { segment: tagged('vip') }));
      assert.equal(preview.recipients, vip.length);
      assert.equal(preview.body, 'Hi [first_name]! Use code SUMMER for 15% off this week.');
      assert.equal(JSON.stringify(preview).includes(vip[0]!.contactId), false);
      const countries = [...new Set(w.people.map((p) => p.customer.countryCode))];
      const one = countries[0]!;
      const byCountry = await campaigns().preview(
        w.tenant.id,
        summerSale(w, { segment: { countries: [one] } }),
      );
      assert.equal(byCountry.recipients, w.people.filter((p) => p.customer.countryCode === one).length);
    });

    test('an opted-out customer in the segment receives nothing, and an opt-out mid-campaign stops a queued message', async () => {
      const members = w.people.filter((_, i) => i % 2 === 1).slice(0, 8);
      const early = members[0]!;
      await w.t.runtime.consent.importEvents(
        w.tenant.id,
        [
          {
            contactId: early.contactId,
            purpose: 'marketing',
            event: 'opt_out',
            at: new Date(),
            evidence: { method: 'phone call' },
          },
        ],
        testOperator,
      );
      await w.t.runtime.database.db
        .updateTable('contacts')
        .set({ tags: JSON.stringify(['regular', 'wave1']) })
        .where(
          'id',
          'in',
          members.map((m) => m.contactId),
        )
        .execute();
      const id = await run(summerSale(w, { segment: tagged('wave1'), ratePerSecond: 2 }));
      assert.equal(
        await statusOf(id, early.contactId),
        undefined,
        'an opted-out customer is not even queued',
      );
      await sender().tick();
      await sender().settle();
      // Mid-campaign: some messages went out, others wait their turn; the last one waiting opts out.
      const waiting = [];
      for (const m of members.slice(1)) if ((await statusOf(id, m.contactId)) === 'queued') waiting.push(m);
      assert.ok(waiting.length > 0 && waiting.length < 7, `${waiting.length} of 7 still queued`);
      const late = waiting.at(-1)!;
      await w.emulator.deliver('user_preferences', { customer: late.customer, value: 'stop' });
      await w.emulator.flush();
      await sender().drain();
      const got = receivedBy(w);
      assert.equal(got.get(early.customer.index) ?? 0, 0);
      assert.equal(got.get(late.customer.index) ?? 0, 0);
      assert.equal(await statusOf(id, late.contactId), 'opted_out');
      for (const m of members.slice(1).filter((m) => m !== late)) assert.equal(got.get(m.customer.index), 1);
      const results = await campaigns().results(w.tenant.id, id);
      assert.deepEqual([results.status, results.sent, results.optedOut], ['done', 6, 1]);
      const reached = members.slice(1).find((m) => m !== late)!;
      const named = w.emulator.sent().find((s) => s.customerIndex === reached.customer.index)!;
      const body = JSON.stringify(named.request);
      assert.ok(body.includes(reached.customer.profileName.split(/\s+/)[0]!), 'personalised at send time');
    });

    test('quiet hours hold in the recipient’s local time, and the daily cap holds', async () => {
      await w.t.runtime.database.db
        .updateTable('contacts')
        .set({ tags: JSON.stringify(['vip', 'wave2']) })
        .where(
          'id',
          'in',
          w.people.filter((_, i) => i % 2 === 0).map((p) => p.contactId),
        )
        .execute();
      const at = '2026-01-15T03:00:00.000Z';
      clock.pin(at);
      try {
        const before = receivedBy(w);
        const quiet = await run(
          summerSale(w, { segment: tagged('wave2'), quietHours: { start: 21, end: 8 } }),
        );
        await sender().drain();
        const after = receivedBy(w);
        const members = w.people.filter((_, i) => i % 2 === 0);
        const isQuiet = (c: string) => inQuietHours(localHour(c, new Date(at)), 21, 8);
        assert.ok(
          members.some((m) => isQuiet(m.customer.countryCode)) &&
            members.some((m) => !isQuiet(m.customer.countryCode)),
        );
        for (const m of members) {
          const got = (after.get(m.customer.index) ?? 0) - (before.get(m.customer.index) ?? 0);
          assert.equal(got, isQuiet(m.customer.countryCode) ? 0 : 1, `country ${m.customer.countryCode}`);
        }
        await campaigns().command(w.tenant.id, quiet, 'cancel', testOperator);

        const capped = await run(summerSale(w, { segment: tagged('wave2'), dailyCap: 3 }));
        await sender().drain();
        assert.equal((await campaigns().results(w.tenant.id, capped)).sent, 3);
        clock.pin('2026-01-15T15:00:00.000Z');
        await sender().drain();
        assert.equal(
          (await campaigns().results(w.tenant.id, capped)).sent,
          3,
          'still the same day (rolling 24 h)',
        );
        clock.pin('2026-01-16T04:00:00.000Z');
        await sender().drain();
        assert.equal((await campaigns().results(w.tenant.id, capped)).sent, 6);
        await campaigns().command(w.tenant.id, capped, 'cancel', testOperator);
      } finally {
        clock.pin(undefined);
      }
    });

    test('a campaign at 1 message a second sends, one a second (its slot interval outgrows the booking horizon)', async () => {
      const from = w.emulator.sent().length;
      const id = await run(summerSale(w, { segment: tagged('vip'), ratePerSecond: 1, dailyCap: 3 }));
      await sender().drain(15_000);
      const results = await campaigns().results(w.tenant.id, id);
      assert.equal(results.sent, 3, 'the cap of three went out');
      const at = w.emulator
        .sent()
        .slice(from)
        .filter((m) => m.template === 'summer_sale')
        .map((m) => m.at.getTime());
      assert.equal(at.length, 3);
      for (let i = 1; i < at.length; i++)
        assert.ok(at[i]! - at[i - 1]! >= 950, `sends ${i - 1} and ${i} a second apart`);
      await campaigns().command(w.tenant.id, id, 'cancel', testOperator);
    });

    test('a 130429 from the emulator slows the sender down instead of failing the campaign', async () => {
      const before = receivedBy(w);
      const errorsBefore = w.emulator.stats().graph.errors['130429'] ?? 0;
      const id = await run(summerSale(w, { segment: {}, ratePerSecond: 1000 }));
      await sender().drain();
      const errors = (w.emulator.stats().graph.errors['130429'] ?? 0) - errorsBefore;
      assert.ok(errors > 0, 'the emulator answered 130429 at least once');
      const results = await campaigns().results(w.tenant.id, id);
      assert.equal(results.status, 'done');
      assert.equal(results.failed, 0);
      const after = receivedBy(w);
      const reachable = w.people.filter((p) => after.get(p.customer.index) !== undefined);
      // Everyone but the two customers who opted out earlier, each exactly once.
      assert.deepEqual([results.total, results.sent], [w.people.length - 2, w.people.length - 2]);
      for (const p of reachable) {
        const delta = (after.get(p.customer.index) ?? 0) - (before.get(p.customer.index) ?? 0);
        assert.ok(delta <= 1, 'nobody got this campaign twice');
      }
    });

    test('over HTTP a marketer sees counts and runs campaigns; an agent is refused; no answer lists a member', async () => {
      const staff = new Map<string, TestStaff>();
      const app = buildApp(w.t.runtime);
      installTestActors(app, clock, staff);
      const hire = async (role: 'marketer' | 'agent') => {
        const s = await createStaff(w.t.runtime, w.tenant, role);
        staff.set(s.id, s);
        return asStaff(app, s);
      };
      const [marketer, agent] = [await hire('marketer'), await hire('agent')];
      try {
        const count = await marketer.post('/api/v1/segments/preview', { definition: { tagsAll: ['vip'] } });
        assert.equal(count.statusCode, 200);
        assert.equal(typeof count.json<{ count: number }>().count, 'number');
        assert.equal((await agent.post('/api/v1/segments/preview', { definition: {} })).statusCode, 403);
        assert.equal((await agent.post('/api/v1/campaigns', summerSale(w))).statusCode, 403);
        const created = await marketer.post(
          '/api/v1/campaigns',
          summerSale(w, { segment: tagged('vip'), ratePerSecond: 1 }),
        );
        assert.equal(created.statusCode, 201);
        const id = created.json<{ id: string }>().id;
        assert.equal(
          (await marketer.post(`/api/v1/campaigns/${id}/start`)).json<{ status: string }>().status,
          'running',
        );
        assert.equal(
          (await marketer.post(`/api/v1/campaigns/${id}/pause`)).json<{ status: string }>().status,
          'paused',
        );
        assert.equal((await marketer.post(`/api/v1/campaigns/${id}/start`)).statusCode, 409);
        const shown = await marketer.get(`/api/v1/campaigns/${id}`);
        assert.equal(shown.statusCode, 200);
        for (const p of w.people) assert.equal(shown.body.includes(p.contactId), false);
        assert.equal(
          (await marketer.post(`/api/v1/campaigns/${id}/cancel`)).json<{ status: string }>().status,
          'cancelled',
        );
        assert.equal(
          (await marketer.post('/api/v1/campaigns', { ...summerSale(w), ratePerSecond: 5000 })).statusCode,
          400,
        );
      } finally {
        await app.close();
      }
    });

    test('status webhooks fill the results; a quality downgrade stops running campaigns with an alert', async () => {
      await sleep(300);
      await w.emulator.flush();
      const done = (await campaigns().list(w.tenant.id)).find((c) => c.status === 'done')!;
      const results = await campaigns().results(w.tenant.id, done.id);
      assert.ok(results.delivered > 0, 'delivered statuses arrived');
      const id = await run(summerSale(w, { segment: {}, ratePerSecond: 1 }));
      await w.emulator.deliver({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: w.emulator.channel.wabaId,
            time: Math.floor(Date.now() / 1000),
            changes: [
              {
                field: 'phone_number_quality_update',
                value: { display_phone_number: '15550783881', event: 'DOWNGRADE', current_limit: 'TIER_250' },
              },
            ],
          },
        ],
      });
      const stopped = await campaigns().results(w.tenant.id, id);
      assert.deepEqual([stopped.status, stopped.stopReason], ['stopped', 'quality:downgrade']);
      assert.equal(stopped.alerts.length, 1);
      const alerts = await campaigns().alerts(w.tenant.id);
      assert.ok(alerts.some((a) => a.campaignId === id && a.kind === 'quality:downgrade'));
    });
  });
}
