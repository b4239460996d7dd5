import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../src/app.ts';
import { campaignDb } from '../src/features/campaigns/campaigns.table.ts';
import type { Customer } from '../src/features/whatsapp/emulator/index.ts';
import {
  campaignWorld,
  movableClock,
  summerSale,
  testOperator,
  type CampaignWorld,
} from './campaign-support.ts';
import { asStaff, createStaff, installTestActors, type TestStaff } from './support/access.ts';
import { waitFor } from './support/cluster.ts';
import { databaseTargets } from './support/targets.ts';

/** Most sends in any span shorter than a second. */
function fullestSecond(stamps: number[]): number {
  const at = [...stamps].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/** Helpers over one world: tags, extra customers, campaigns, counts at the emulator. */
function helpers(world: () => CampaignWorld) {
  const w = world;
  const db = () => w().t.runtime.database.db;
  const campaigns = () => w().t.runtime.campaigns.campaigns;
  return {
    campaigns,
    sender: () => w().t.runtime.campaigns.sender,
    async tag(contactIds: string[], tag: string): Promise<void> {
      await db()
        .updateTable('contacts')
        .set({ tags: JSON.stringify([tag]) })
        .where('id', 'in', contactIds)
        .execute();
    },
    /** Customers the world left out (not on WhatsApp, opted out at Meta, marketing-limited), opted in here. */
    async addCustomers(customers: Customer[], tag: string): Promise<string[]> {
      const contacts = await w().t.runtime.contacts.createMany(
        w().tenant,
        customers.map((c) => ({ phone: c.phone, profileName: c.profileName, waId: c.waId, tags: [tag] })),
        testOperator,
      );
      await w().t.runtime.consent.importEvents(
        w().tenant.id,
        contacts.map((c) => ({
          contactId: c.id,
          purpose: 'marketing' as const,
          event: 'opt_in' as const,
          at: new Date(Date.now() - 3600_000),
          evidence: { method: 'checkout checkbox' },
        })),
        testOperator,
      );
      return contacts.map((c) => c.id);
    },
    async run(input: Record<string, unknown>): Promise<string> {
      const c = await campaigns().create(w().tenant.id, input, testOperator);
      await campaigns().command(w().tenant.id, c.id, 'start', testOperator);
      return c.id;
    },
    results: (id: string) => campaigns().results(w().tenant.id, id),
    /** Emulator errors answered with `code` so far. */
    errors: (code: number) => w().emulator.stats().graph.errors[String(code)] ?? 0,
    /** Campaign (summer_sale) sends the emulator accepted for these customers. */
    sentTo: (customers: Customer[], from = 0) =>
      w()
        .emulator.sent()
        .slice(from)
        .filter((s) => s.template === 'summer_sale' && customers.some((c) => c.index === s.customerIndex))
        .length,
    async recipientStatuses(campaignId: string): Promise<Record<string, number>> {
      const rows = await campaignDb(db())
        .selectFrom('campaign_recipients')
        .select('status')
        .where('campaign_id', '=', campaignId)
        .execute();
      const out: Record<string, number> = {};
      for (const r of rows) out[r.status] = (out[r.status] ?? 0) + 1;
      return out;
    },
  };
}

const sameNumber = (a: Customer, people: { customer: Customer }[]) =>
  people.some((p) => p.customer.phone === a.phone);

for (const target of databaseTargets()) {
  describe(`campaign limits: schedule, tier, quality, results, template sync (${target.name})`, () => {
    const clock = movableClock();
    let w: CampaignWorld;
    const h = helpers(() => w);
    // Each test runs on its own day, later than the one before: the rolling 24 h of one never
    // reaches into the next.
    const day = (n: number, time = '10:00:00.000Z') => `2031-01-${String(n).padStart(2, '0')}T${time}`;
    /** Emulated customers the world left out, by trait, never one already a contact. */
    const leftOut = (pick: (c: Customer) => boolean, n: number, skip = 0) => {
      const found = w.emulator.customers.list
        .filter((c) => c.waId !== undefined && !sameNumber(c, w.people) && pick(c))
        .slice(skip, skip + n);
      assert.equal(found.length, n, 'enough such customers in the emulated population');
      return found;
    };
    const optedOutAtMeta = (c: Customer) => w.emulator.customers.optedOut(c);

    before(async () => {
      w = await campaignWorld(target, { count: 260, clock });
    });
    after(async () => {
      clock.pin(undefined);
      await w.close();
    });

    test('a marketer syncs the templates of every channel of the tenant with {}, or of one channel', async () => {
      // A second number of the same business account: its templates are the account's.
      await w.t.runtime.channels.add(w.tenant, { ...w.emulator.channel, phoneNumberId: '106540352242923' });
      const staff = new Map<string, TestStaff>();
      const app = buildApp(w.t.runtime);
      installTestActors(app, clock, staff);
      try {
        const s = await createStaff(w.t.runtime, w.tenant, 'marketer');
        staff.set(s.id, s);
        const marketer = asStaff(app, s);
        const one = await marketer.post('/api/v1/campaign-templates/sync', { channelId: w.channel.id });
        assert.equal(one.statusCode, 200);
        const n = one.json<{ synced: number }>().synced;
        assert.ok(n >= 5);
        assert.deepEqual(one.json(), { synced: n, channels: 1 });
        const all = await marketer.post('/api/v1/campaign-templates/sync', {});
        assert.equal(all.statusCode, 200);
        assert.deepEqual(all.json(), { synced: 2 * n, channels: 2 });
        const listed = (await w.t.runtime.campaigns.templates.list(w.tenant.id)).filter(
          (t) => t.name === 'summer_sale',
        );
        assert.equal(listed.length, 2, 'summer_sale on both channels');
        const agent = await createStaff(w.t.runtime, w.tenant, 'agent');
        staff.set(agent.id, agent);
        assert.equal((await asStaff(app, agent).post('/api/v1/campaign-templates/sync', {})).statusCode, 403);
        const odd = await marketer.post('/api/v1/campaign-templates/sync', { channelId: 'x', more: 1 });
        assert.equal(odd.statusCode, 400);
      } finally {
        await app.close();
      }
    });

    test('a scheduled campaign sends nothing before its time and everything after', async () => {
      clock.pin(day(1));
      const members = w.people.slice(0, 4);
      await h.tag(
        members.map((p) => p.contactId),
        'scheduled',
      );
      const from = w.emulator.sent().length;
      const id = await h.run(
        summerSale(w, { segment: { tagsAll: ['scheduled'] }, scheduledAt: day(1, '11:00:00.000Z') }),
      );
      await h.sender().drain();
      assert.equal(
        h.sentTo(
          members.map((m) => m.customer),
          from,
        ),
        0,
        'nothing before its time',
      );
      const waiting = await h.results(id);
      assert.deepEqual([waiting.status, waiting.queued, waiting.sent], ['running', 4, 0]);
      clock.pin(day(1, '10:59:59.000Z'));
      await h.sender().drain();
      assert.equal(
        h.sentTo(
          members.map((m) => m.customer),
          from,
        ),
        0,
        'nor a second before',
      );
      clock.pin(day(1, '11:00:01.000Z'));
      await h.sender().drain();
      assert.equal(
        h.sentTo(
          members.map((m) => m.customer),
          from,
        ),
        4,
      );
      const done = await h.results(id);
      assert.deepEqual([done.status, done.sent], ['done', 4]);
    });

    test('the daily cap is the messaging limit tier read from the Graph API, or the campaign’s own cap when smaller', async () => {
      // The emulator's number reports TIER_250; 260 opted-in customers are in the segment.
      const everyone = w.people.map((p) => p.customer);
      clock.pin(day(5));
      const capped = await h.run(summerSale(w, { segment: {}, dailyCap: 5 }));
      await h.sender().drain();
      assert.equal((await h.results(capped)).sent, 5, 'the campaign cap (5) is below the tier');
      await h.campaigns().command(w.tenant.id, capped, 'cancel', testOperator);

      clock.pin(day(8));
      const from = w.emulator.sent().length;
      const id = await h.run(summerSale(w, { segment: {} }));
      await h.sender().drain();
      let r = await h.results(id);
      assert.deepEqual(
        [r.total, r.sent, r.queued],
        [260, 250, 10],
        'TIER_250: 250 in the day, the rest wait',
      );
      assert.equal(h.sentTo(everyone, from), 250, 'the emulator saw 250');
      clock.pin(day(9, '09:00:00.000Z'));
      await h.sender().drain();
      assert.equal((await h.results(id)).sent, 250, 'still within 24 h of those sends');
      clock.pin(day(9, '10:00:01.000Z'));
      await h.sender().drain();
      r = await h.results(id);
      assert.deepEqual([r.status, r.sent, r.queued], ['done', 260, 0]);
      assert.equal(h.sentTo(everyone, from), 260, 'each customer once');
    });

    test('131048 answers stop the campaign after qualityStopAfter of them, with an alert', async () => {
      clock.pin(day(12));
      const members = w.people.slice(10, 16);
      await h.tag(
        members.map((p) => p.contactId),
        'spam',
      );
      const before = h.errors(131048);
      const from = w.emulator.sent().length;
      w.emulator.setSpamLimited(true);
      let id: string;
      try {
        id = await h.run(
          summerSale(w, { segment: { tagsAll: ['spam'] }, ratePerSecond: 2, qualityStopAfter: 3 }),
        );
        await h.sender().drain();
      } finally {
        w.emulator.setSpamLimited(false);
      }
      const refused = h.errors(131048) - before;
      assert.ok(refused >= 3 && refused < members.length, `${refused} calls refused with 131048`);
      const r = await h.results(id);
      assert.deepEqual([r.status, r.stopReason], ['stopped', 'quality:131048']);
      assert.deepEqual(
        r.failures.map((f) => [f.code, f.count]),
        [[131048, refused]],
      );
      assert.deepEqual(
        r.alerts.map((a) => [a.kind, a.code]),
        [['quality:131048', 131048]],
      );
      const alerts = await h.campaigns().alerts(w.tenant.id);
      assert.ok(alerts.some((a) => a.campaignId === id && a.code === 131048));
      assert.equal(
        h.sentTo(
          members.map((m) => m.customer),
          from,
        ),
        0,
        'Meta accepted none of them',
      );
    });

    test('131049 failed statuses stop the campaign after qualityStopAfter of them, with an alert', async () => {
      clock.pin(day(14));
      const limited = leftOut((c) => c.onWhatsApp && c.marketingLimited && !optedOutAtMeta(c), 6);
      await h.addCustomers(limited, 'limited');
      const id = await h.run(
        summerSale(w, { segment: { tagsAll: ['limited'] }, ratePerSecond: 1, qualityStopAfter: 3 }),
      );
      await h.sender().drain();
      await waitFor(async () => {
        await w.emulator.flush();
        return (await h.results(id)).status === 'stopped';
      }, 15_000);
      const r = await h.results(id);
      assert.equal(r.stopReason, 'quality:131049');
      assert.deepEqual(
        r.alerts.map((a) => [a.kind, a.code]),
        [['quality:131049', 131049]],
      );
      const reached = h.sentTo(limited);
      assert.ok(reached >= 3 && reached < limited.length, `${reached} of 6 sent before the stop`);
      assert.ok(r.failures.some((f) => f.code === 131049 && f.count >= 3));
    });

    test('a phone_number_quality_update downgrade stops every running campaign of that number', async () => {
      clock.pin(day(16));
      const later = day(17);
      const a = await h.run(summerSale(w, { segment: { tagsAll: ['vip'] }, scheduledAt: later }));
      const b = await h.run(summerSale(w, { segment: { tagsAll: ['regular'] }, scheduledAt: later }));
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
      for (const id of [a, b]) {
        const r = await h.results(id);
        assert.deepEqual([r.status, r.stopReason], ['stopped', 'quality:downgrade']);
        assert.deepEqual(
          r.alerts.map((x) => x.kind),
          ['quality:downgrade'],
        );
      }
      clock.pin(day(17, '12:00:00.000Z'));
      const from = w.emulator.sent().length;
      await h.sender().drain();
      assert.equal(w.emulator.sent().length, from, 'nothing goes out once stopped');
    });

    test('results group failures by Meta error code, with counts and what to do', async () => {
      clock.pin(day(20));
      const notOnWhatsApp = leftOut((c) => !c.onWhatsApp && !c.marketingLimited && !optedOutAtMeta(c), 3);
      const stopped = leftOut((c) => c.onWhatsApp && !c.marketingLimited && optedOutAtMeta(c), 3);
      // Past the six the previous test used.
      const limited = leftOut((c) => c.onWhatsApp && c.marketingLimited && !optedOutAtMeta(c), 2, 6);
      const fine = w.people.slice(20, 24);
      const added = await h.addCustomers([...notOnWhatsApp, ...stopped, ...limited], 'mixed');
      await h.tag(
        fine.map((p) => p.contactId),
        'mixed',
      );
      const id = await h.run(
        summerSale(w, { segment: { tagsAll: ['mixed'] }, ratePerSecond: 20, qualityStopAfter: 100 }),
      );
      await h.sender().drain();
      await waitFor(async () => {
        await w.emulator.flush();
        return (await h.results(id)).failures.some((f) => f.code === 131049 && f.count === 2);
      }, 15_000);
      const r = await h.results(id);
      assert.equal(r.status, 'done');
      // 4 reached; 3 not on WhatsApp and 2 marketing-limited failed; 3 had stopped marketing at Meta.
      assert.deepEqual([r.total, r.sent, r.failed, r.optedOut], [12, 4, 5, 3]);
      const byCode = Object.fromEntries(r.failures.map((f) => [f.code, f]));
      assert.deepEqual(Object.keys(byCode).map(Number).sort(), [131026, 131049, 131050]);
      assert.equal(byCode[131026]!.count, 3);
      assert.equal(byCode[131049]!.count, 2);
      assert.equal(byCode[131050]!.count, 3);
      assert.match(byCode[131026]!.hint, /Not on WhatsApp/);
      assert.match(byCode[131049]!.hint, /per-user marketing limit/);
      assert.match(byCode[131050]!.hint, /opt-out/);
      // 131050 is the customer's opt-out: recorded, so the next campaign leaves them out.
      for (const contactId of added.slice(3, 6))
        assert.equal(await w.t.runtime.consent.isAllowed(w.tenant.id, contactId, 'marketing'), false);
    });
  });

  describe(`campaign limits: replies and campaigns share the number (${target.name})`, () => {
    let w: CampaignWorld;
    const h = helpers(() => w);
    const RATE = 20;

    before(async () => {
      w = await campaignWorld(target, {
        count: 60,
        emulator: { throughput: RATE },
        env: { CHATVAULT_SEND_RATE: String(RATE) },
      });
    });
    after(async () => {
      await w.close();
    });

    /** Opens the customers' service windows: each shares a location (a text might say STOP). */
    async function writeIn(customers: Customer[]): Promise<void> {
      for (const customer of customers) await w.emulator.deliver('location', { customer });
      await w.emulator.flush();
    }

    /** Runs the outbox until these messages left (accepted or later). */
    async function sendAll(messageIds: string[]): Promise<void> {
      await waitFor(async () => {
        await w.t.runtime.outbox.drain();
        const left = await w.t.runtime.database.db
          .selectFrom('messages')
          .select('id')
          .where('id', 'in', messageIds)
          .where('status', 'in', ['queued', 'sending'])
          .execute();
        return left.length === 0;
      }, 60_000);
    }

    async function reply(contactId: string, n: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++)
        ids.push(
          (
            await w.t.runtime.messaging.send(w.tenant, contactId, {
              type: 'text',
              text: { body: `Reply ${i + 1}` },
            })
          ).messageId,
        );
      return ids;
    }

    test('replies and a campaign on one number together never exceed its rate in any second Meta sees', async () => {
      const campaignees = w.people.slice(0, 30);
      const talkers = w.people.slice(30, 60);
      await h.tag(
        campaignees.map((p) => p.contactId),
        'shared',
      );
      await writeIn(talkers.map((p) => p.customer));
      await sleep(1100); // the emulator's bucket refills after the inbound-side traffic
      const from = w.emulator.sent().length;
      const throttled = h.errors(130429);
      const replies: string[] = [];
      for (const p of talkers) replies.push(...(await reply(p.contactId, 1)));
      const id = await h.run(summerSale(w, { segment: { tagsAll: ['shared'] }, ratePerSecond: RATE }));
      await Promise.all([h.sender().drain(), sendAll(replies)]);
      const sent = w.emulator.sent().slice(from);
      assert.equal(sent.filter((s) => s.template === 'summer_sale').length, 30, 'every campaign message');
      const isReply = (s: (typeof sent)[number]) => s.type === 'text' && s.request.text?.body === 'Reply 1';
      assert.equal(sent.filter(isReply).length, 30, 'every reply');
      const fullest = fullestSecond(sent.map((s) => s.at.getTime()));
      assert.ok(fullest <= RATE, `fullest second at the emulator: ${fullest} calls (limit ${RATE})`);
      assert.ok(fullest >= RATE * 0.75, `and close to the limit: ${fullest}`);
      assert.equal(h.errors(130429) - throttled, 0, 'no 130429');
      assert.equal((await h.results(id)).status, 'done');
    });

    test('the pair limit holds for a customer who gets a burst of replies and then a campaign message', async () => {
      const x = w.people[45]!;
      await writeIn([x.customer]);
      const pairErrors = h.errors(131056);
      await sendAll(await reply(x.contactId, 45));
      const firstReply = Math.min(
        ...w.emulator
          .sent()
          .filter((s) => s.customerIndex === x.customer.index && s.type === 'text')
          .map((s) => s.at.getTime()),
      );
      await h.tag([x.contactId], 'pair');
      const id = await h.run(summerSale(w, { segment: { tagsAll: ['pair'] }, ratePerSecond: RATE }));
      await h.sender().drain();
      const r = await h.results(id);
      assert.deepEqual([r.status, r.sent], ['done', 1], JSON.stringify(r));
      assert.equal(h.errors(131056) - pairErrors, 0, 'Meta never answered 131056');
      const campaignAt = w.emulator
        .sent()
        .find((s) => s.customerIndex === x.customer.index && s.template === 'summer_sale')!.at;
      // The 46th message to one customer needs a refilled token: at least 6 s after the first.
      assert.ok(campaignAt.getTime() - firstReply >= 6000, 'the campaign message waited for a pair token');
    });
  });
}
