import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Locator, Page } from 'playwright-core';
import { buildApp } from '../src/app.ts';
import { countryOfPhone } from '../src/features/campaigns/countries.ts';
import { languagesOf } from '../src/features/campaigns/languages.ts';
import { ensureConsoleBuilt } from '../src/features/console/build.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import {
  campaignWorld,
  receivedBy,
  summerSale,
  testOperator,
  type CampaignWorld,
} from './campaign-support.ts';
import {
  enrolledOperator,
  freePort,
  noBrowser,
  openBrowser,
  screenshot,
  signInWithRecoveryCode,
  type Browser,
} from './support/browser.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'harvest-beacon-willow-2031';
const NAME = 'Autumn sale';
const LOST = 'Lost numbers';
// Two messages a second: slow enough to watch the counts move and to pause half-way.
const RATE = 2;
/** A `datetime-local` value in the past (Chromium and Node share the machine's time zone). */
const SCHEDULED = '2026-01-05T09:30';

/** The counts line of the campaigns table, e.g. "19 recipients: 12 queued, 7 sent, …". */
const COUNTS = /(\d+) recipients: (\d+) queued, (\d+) sent, (\d+) delivered, (\d+) read, (\d+) failed/;

for (const target of databaseTargets()) {
  describe(`the console's Campaigns page in a real browser (${target.name})`, { skip: noBrowser }, () => {
    let w: CampaignWorld;
    let app: FastifyInstance;
    let browser: Browser;
    let publicUrl = '';
    let marketer: Awaited<ReturnType<typeof enrolledOperator>>;
    let agent: Awaited<ReturnType<typeof enrolledOperator>>;
    /** Phones and names the console must never show: every seeded customer's. */
    const secrets: string[] = [];
    /** Opted-in `vip` customers: the campaign's recipients. */
    let recipients: CampaignWorld['people'] = [];
    let optedOut: CampaignWorld['people'][number];

    before(async () => {
      await ensureConsoleBuilt({ whenStale: true });
      const port = await freePort();
      publicUrl = `http://localhost:${port}`;
      w = await campaignWorld(target, { count: 60, env: { CHATVAULT_PUBLIC_URL: publicUrl } });
      const vip = w.people.filter((_, i) => i % 2 === 0);
      optedOut = vip[3]!;
      recipients = vip.filter((p) => p !== optedOut);
      await w.t.runtime.consent.importEvents(
        w.tenant.id,
        [
          {
            contactId: optedOut.contactId,
            purpose: 'marketing',
            event: 'opt_out',
            at: new Date(),
            evidence: { method: 'phone call' },
          },
        ],
        testOperator,
      );
      // Tagged vip but never opted in: must not count either.
      const [silent] = fakeCustomers(1, 41);
      await w.t.runtime.contacts.createMany(w.tenant, [{ ...silent!, tags: ['vip'] }], testOperator);
      // Opted in, but the number is not on WhatsApp: Meta refuses the send with 131026.
      const lost = w.emulator.customers.list.find((c) => !c.onWhatsApp && c.waId !== undefined)!;
      const [lostContact] = await w.t.runtime.contacts.createMany(
        w.tenant,
        [{ phone: lost.phone, profileName: lost.profileName, waId: lost.waId, tags: ['lost'] }],
        testOperator,
      );
      await w.t.runtime.consent.importEvents(
        w.tenant.id,
        [
          {
            contactId: lostContact!.id,
            purpose: 'marketing',
            event: 'opt_in',
            at: new Date(Date.now() - 3600_000),
            evidence: { method: 'checkout checkbox' },
          },
        ],
        testOperator,
      );
      for (const who of [...w.people.map((p) => p.customer), silent!, lost]) {
        secrets.push(who.phone, who.phone.slice(1), who.profileName);
        const first = who.profileName.split(/\s+/)[0]!;
        if (first.length >= 4) secrets.push(first);
      }

      app = buildApp(w.t.runtime);
      await app.listen({ host: '127.0.0.1', port });
      marketer = await enrolledOperator(
        app,
        w.t.runtime,
        w.tenant,
        'marketer@shop.example',
        'marketer',
        PASSWORD,
      );
      agent = await enrolledOperator(app, w.t.runtime, w.tenant, 'agent@shop.example', 'agent', PASSWORD);
      // The worker `chatvault serve` runs: sends happen in the background, as in production.
      w.t.runtime.campaigns.sender.start();
      browser = await openBrowser();
    });
    after(async () => {
      await browser?.close();
      await w?.t.runtime.campaigns.sender.stop();
      await app?.close();
      await w?.close();
    });

    /** Fails when the page's text or markup holds any seeded customer's phone number or name. */
    async function assertNoPersonalData(page: Page, when: string) {
      const text = await page.locator('body').innerText();
      const html = await page.content();
      for (const secret of secrets) {
        assert.equal(text.includes(secret), false, `${when}: the page text shows a customer's phone or name`);
        assert.equal(
          html.includes(secret),
          false,
          `${when}: the page markup holds a customer's phone or name`,
        );
      }
    }

    const countsOf = async (row: Locator) => {
      const m = COUNTS.exec(await row.innerText());
      assert.ok(m, 'the row shows its counts');
      return { total: Number(m[1]), queued: Number(m[2]), sent: Number(m[3]), failed: Number(m[6]) };
    };

    test('a marketer sees the synced templates, previews an opted-in count, starts a campaign and watches it finish', async () => {
      const { page } = browser;
      await page.goto(publicUrl);
      await signInWithRecoveryCode(page, marketer, 'shop');
      await page.getByRole('link', { name: 'Campaigns' }).click();
      await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();

      // Templates as the Graph API listed them: category, language, status and parameters.
      const templates = page.getByTestId('campaign-templates');
      const templateRow = (name: string) =>
        templates.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
      await templateRow('summer_sale').waitFor();
      assert.deepEqual(await templateRow('summer_sale').getByRole('cell').allInnerTexts(), [
        'summer_sale',
        'en_US',
        'MARKETING',
        'Approved',
        'header:image, first_name, discount_code, discount_amount',
      ]);
      assert.equal((await templateRow('winter_promo').getByRole('cell').allInnerTexts())[3], 'PENDING');
      assert.equal((await templateRow('miracle_cure').getByRole('cell').allInnerTexts())[3], 'REJECTED');
      // Sync lists every channel's templates from the Graph API again and says how many it stored.
      await page.getByRole('button', { name: 'Sync templates' }).click();
      const synced = await page
        .getByTestId('template-sync')
        .filter({ hasText: /^\d+ templates synced$/ })
        .innerText();
      assert.equal(
        Number.parseInt(synced, 10),
        (await w.t.runtime.campaigns.templates.list(w.tenant.id)).length,
        'every template of the one channel',
      );
      // The select's accessible name also holds its chosen option, so no exact match on the label.
      const template = page.getByLabel('Template');
      assert.equal(await template.locator('option', { hasText: 'summer_sale' }).count(), 1);
      assert.equal(
        await template.locator('option', { hasText: 'winter_promo' }).count(),
        0,
        'a template that is not approved cannot be chosen',
      );

      // The builder: a segment of vip customers, the template's parameters, a cap; the preview counts.
      await page.getByLabel('Name', { exact: true }).fill(NAME);
      await template.selectOption({ label: 'summer_sale (en_US)' });
      await page.getByLabel('Tags (all of)').fill('vip');
      await page.getByLabel('Parameters (JSON)').fill(JSON.stringify(summerSale(w).parameters));
      await page.getByLabel('Messages per second').fill(String(RATE));
      await page.getByLabel('Daily cap').fill('200');
      // A past start: the schedule is stored and does not hold the campaign back.
      await page.getByLabel('Start no earlier than').fill(SCHEDULED);
      // The segment's size alone, as the filters change: tags all of / any of / none of, languages.
      const segmentCount = page.getByTestId('segment-count');
      const segmentHolds = async (n: number) => {
        await page.getByRole('button', { name: 'Count segment' }).click();
        await segmentCount
          .filter({ hasText: new RegExp(`^${n} opted-in customers in the segment$`) })
          .waitFor();
      };
      await segmentHolds(recipients.length);
      await page.getByLabel('Tags (none of)').fill('vip');
      await segmentHolds(0);
      await page.getByLabel('Tags (none of)').fill('');
      await page.getByLabel('Tags (all of)').fill('');
      // Everyone opted in but the `lost` customer; the opted-out one and the never-asked one are out.
      await page.getByLabel('Tags (any of)').fill('vip, regular');
      const optedIn = w.people.filter((p) => p !== optedOut);
      await segmentHolds(optedIn.length);
      // Languages come from the country of each phone, stored when the phone was written.
      const speaks = (p: (typeof optedIn)[number], l: string) =>
        languagesOf(countryOfPhone(p.customer.phone)).includes(l);
      const english = optedIn.filter((p) => speaks(p, 'en')).length;
      await page.getByLabel('Languages').fill('en');
      await segmentHolds(english);
      await page.getByLabel('Languages').fill('en, es, pt, de, fr, zh, hi, id');
      const many = optedIn.filter((p) =>
        ['en', 'es', 'pt', 'de', 'fr', 'zh', 'hi', 'id'].some((l) => speaks(p, l)),
      );
      assert.ok(many.length > english, 'the emulated customers are from several countries');
      await segmentHolds(many.length);
      await screenshot(page, 'campaigns-segment-count');
      await page.getByLabel('Languages').fill('');
      await page.getByLabel('Tags (any of)').fill('');
      await page.getByLabel('Tags (all of)').fill('vip');
      await segmentHolds(recipients.length);
      const preview = page.getByTestId('campaign-preview');
      const previewShows = async (n: number) => {
        await page.getByRole('button', { name: 'Preview' }).click();
        await preview.filter({ hasText: new RegExp(`^${n} opted-in recipients`) }).waitFor();
      };
      // Last interaction: nobody has written to the shop, so "wrote within 30 days" holds no one.
      await page.getByLabel('Wrote to us within (days)').fill('30');
      await previewShows(0);
      await page.getByLabel('Wrote to us within (days)').fill('');
      await page.getByLabel('Silent for at least (days)').fill('30');
      await previewShows(recipients.length);
      assert.equal(
        await preview.innerText(),
        `${recipients.length} opted-in recipients — Hi [first_name]! Use code SUMMER for 15% off this week.`,
      );
      await screenshot(page, 'campaigns-preview');
      await assertNoPersonalData(page, 'after the preview');

      await page.getByRole('button', { name: 'Create draft' }).click();
      const row = page.getByTestId('campaigns').getByRole('row').filter({ hasText: NAME });
      await row.filter({ hasText: 'Draft' }).waitFor();
      const [created] = await w.t.runtime.campaigns.campaigns.list(w.tenant.id);
      assert.deepEqual(
        [
          created!.name,
          created!.ratePerSecond,
          created!.dailyCap,
          created!.scheduledAt,
          created!.segment.tagsAll,
          created!.segment.inactiveForDays,
        ],
        [NAME, RATE, 200, new Date(SCHEDULED).toISOString(), ['vip'], 30],
      );

      // Started: the counts move while it runs; pausing holds the rest, resuming finishes it.
      await row.getByRole('button', { name: 'Start' }).click();
      const total = recipients.length;
      // Under way: at least one sent and several still queued, so the pause below lands half-way.
      const some = Array.from({ length: total - 4 }, (_, i) => i + 1).join('|');
      const underWay = new RegExp(`${total} recipients: \\d+ queued, (${some}) sent,`);
      await row.filter({ hasText: 'Running' }).filter({ hasText: underWay }).waitFor({ timeout: 30_000 });
      await row.getByRole('button', { name: 'Pause' }).click();
      await row.filter({ hasText: 'Paused' }).waitFor();
      const held = await w.t.runtime.campaigns.campaigns.results(w.tenant.id, created!.id);
      assert.equal(held.status, 'paused');
      assert.ok(
        held.sent >= 1 && held.queued >= 1,
        `paused half-way: ${held.sent} sent, ${held.queued} queued`,
      );
      await assertNoPersonalData(page, 'while paused');
      await screenshot(page, 'campaigns-paused');

      await row.getByRole('button', { name: 'Resume' }).click();
      await row
        .filter({ hasText: 'Done' })
        .filter({ hasText: `${total} recipients: 0 queued, ${total} sent,` })
        .waitFor({ timeout: 60_000 });
      const done = await countsOf(row);
      assert.deepEqual([done.total, done.sent, done.failed], [total, total, 0]);
      assert.equal(await row.getByRole('button').count(), 0, 'a finished campaign has no commands');
      await screenshot(page, 'campaigns-done');
      await assertNoPersonalData(page, 'when done');

      // Meta got exactly one message per opted-in recipient, none for the opted-out customer.
      const got = receivedBy(w);
      for (const p of recipients) assert.equal(got.get(p.customer.index), 1);
      assert.equal(got.get(optedOut.customer.index) ?? 0, 0);
    });

    test('a send Meta refuses shows under its error code with what to do', async () => {
      const { page } = browser;
      await page.getByLabel('Name', { exact: true }).fill(LOST);
      await page.getByLabel('Tags (all of)').fill('lost');
      await page.getByRole('button', { name: 'Preview' }).click();
      await page
        .getByTestId('campaign-preview')
        .filter({ hasText: /^1 opted-in recipients/ })
        .waitFor();
      await page.getByRole('button', { name: 'Create draft' }).click();
      const row = page.getByTestId('campaigns').getByRole('row').filter({ hasText: LOST });
      await row.getByRole('button', { name: 'Start' }).click();
      await row
        .filter({ hasText: 'Done' })
        .filter({ hasText: '1 recipients: 0 queued, 0 sent, 0 delivered, 0 read, 1 failed' })
        .waitFor({ timeout: 30_000 });
      await row
        .getByText(
          '131026 × 1: Not on WhatsApp or an old app version: remove these numbers from the segment.',
        )
        .waitFor();
      await screenshot(page, 'campaigns-failures');
      await assertNoPersonalData(page, 'with a failure');
    });

    test('an agent has no Campaigns entry, and the page refuses them without a builder', async () => {
      const { page } = browser;
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInWithRecoveryCode(page, agent, 'shop');
      assert.equal(await page.getByRole('link', { name: 'Campaigns' }).count(), 0);

      await page.goto(`${publicUrl}/campaigns`);
      await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
      await page.getByRole('alert').filter({ hasText: 'You are not allowed to do this.' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Create draft' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Preview' }).count(), 0);
      assert.equal(await page.getByLabel('Tags (all of)').count(), 0, 'no segment to build');
      assert.equal(await page.getByRole('button', { name: 'Count segment' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Sync templates' }).count(), 0);
      assert.equal(await page.getByLabel('Parameters (JSON)').count(), 0);
      assert.equal(await page.getByTestId('campaigns').count(), 0, 'no campaign list either');
      assert.equal((await page.locator('body').innerText()).includes(NAME), false);
      await screenshot(page, 'campaigns-agent-refused');
    });
  });
}
