import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { insertAssignment } from '../src/features/access/access.repository.ts';
import { ensureConsoleBuilt } from '../src/features/console/build.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Customer, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import {
  enrolledOperator,
  freePort,
  noBrowser,
  openBrowser,
  screenshot,
  signInWithRecoveryCode,
  type Browser,
} from './support/browser.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { testReveal } from './support/actors.ts';

const PASSWORD = 'copper-meadow-signal-2031';
const [target] = databaseTargets();

describe(
  `the console's inbox, reveal and audit in a real browser (${target!.name})`,
  { skip: noBrowser },
  () => {
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let shop: Tenant;
    let browser: Browser;
    let publicUrl = '';
    let customer: Customer;
    let contactId = '';
    let conversationId = '';
    let agent: Awaited<ReturnType<typeof enrolledOperator>>;
    let auditor: Awaited<ReturnType<typeof enrolledOperator>>;
    let admin: Awaited<ReturnType<typeof enrolledOperator>>;

    before(async () => {
      await ensureConsoleBuilt({ whenStale: true });
      emulator = await startEmulator({
        appSecret: 'console-app-secret-0123456789',
        accessToken: 'console-access-token-0123456789',
        verifyToken: 'console-verify',
        seed: 11,
        statusDelaysMs: { sent: 5, delivered: 10, read: 20 },
      });
      const port = await freePort();
      publicUrl = `http://localhost:${port}`;
      t = await startTestRuntime(target!, {
        env: { CHATVAULT_PUBLIC_URL: publicUrl, CHATVAULT_GRAPH_API_BASE: emulator.url },
      });
      shop = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const channel = await t.runtime.channels.add(shop, emulator.channel);
      app = buildApp(t.runtime);
      await app.listen({ host: '127.0.0.1', port });
      emulator.setCallback(`${publicUrl}${channel.webhookPath}`, emulator.channel.verifyToken);
      assert.equal(await emulator.subscribe(), true);
      t.runtime.outbox.start();
      customer = emulator.customers.find(
        (c) => c.onWhatsApp && c.waId !== undefined && c.behaviour === 'reads',
      )!;
      await emulator.deliver('text', { customer });
      await emulator.deliver('location', { customer });
      await emulator.flush();
      const contact = await t.runtime.contacts.findByIdentity(shop, { waId: customer.waId! }, testReveal);
      contactId = contact!.id;
      agent = await enrolledOperator(app, t.runtime, shop, 'agent@shop.example', 'agent', PASSWORD);
      auditor = await enrolledOperator(app, t.runtime, shop, 'auditor@shop.example', 'auditor', PASSWORD);
      admin = await enrolledOperator(app, t.runtime, shop, 'admin@shop.example', 'admin', PASSWORD);
      await insertAssignment(t.runtime.database.db, {
        tenant_id: shop.id,
        contact_id: contactId,
        operator_id: agent.id,
        assigned_by: admin.id,
        assigned_at: new Date().toISOString(),
      });
      conversationId = (
        await t.runtime.database.db
          .selectFrom('conversations')
          .select('id')
          .where('contact_id', '=', contactId)
          .executeTakeFirstOrThrow()
      ).id;
      browser = await openBrowser();
    });
    after(async () => {
      await browser?.close();
      await emulator?.close();
      await app?.close();
      await t?.close();
    });

    test('an agent sees a masked phone, reveals it with a reason, gets new messages live and replies', async () => {
      const { page } = browser;
      await page.goto(publicUrl);
      await signInWithRecoveryCode(page, agent, 'shop');
      const phone = page.getByTestId('masked-phone').first();
      await phone.waitFor();
      const masked = await phone.innerText();
      assert.match(masked, /\*{4}/);
      assert.ok(!masked.includes(customer.phone.slice(-8, -4)), 'the middle digits are hidden');
      assert.ok(!(await page.content()).includes(customer.phone), 'the full number is nowhere in the page');

      await page.getByRole('button', { name: /\*{4}/ }).first().click();
      await page.waitForURL(`**/inbox/${conversationId}`);
      const messages = page.getByTestId('message');
      await messages.nth(1).waitFor();
      await page.getByTestId('field-phone').getByRole('button', { name: 'Reveal' }).click();
      await page.getByText('This access is recorded in the audit log with your reason.').waitFor();
      await page.getByLabel('Reason').fill('customer asked for a call back about the order');
      await page.getByRole('dialog').getByRole('button', { name: 'Reveal' }).click();
      const revealed = page.getByTestId('revealed-value').locator('strong');
      await revealed.waitFor();
      assert.equal(await revealed.innerText(), customer.phone);
      await screenshot(page, 'inbox-revealed');

      const before = await messages.count();
      await emulator.deliver('text', { customer });
      const delivered = Date.now();
      await messages.nth(before).waitFor({ timeout: 2000 });
      assert.ok(Date.now() - delivered <= 2000, 'the new message appeared within 2 s without a reload');

      await page.getByLabel('Reply').fill('Thanks, we are on it!');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const end = Date.now() + 10_000;
      while (
        !emulator
          .sent()
          .some(
            (s) =>
              s.to.replace(/\D/g, '') === customer.waId && JSON.stringify(s.request).includes('we are on it'),
          )
      ) {
        assert.ok(Date.now() < end, 'the reply reached the emulator');
        await new Promise((r) => setTimeout(r, 100));
      }
      await page.getByText('Thanks, we are on it!').waitFor();
      await page.locator('.bubble.outbound .ticks.read').first().waitFor({ timeout: 10_000 });
      await screenshot(page, 'inbox-conversation');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You have signed out.').waitFor();
    });

    test('the auditor sees the reveal, verifies the chain green, and red after one row is tampered with', async () => {
      const { page } = browser;
      await t.runtime.audit.sequence();
      await signInWithRecoveryCode(page, auditor, 'shop');
      await page.waitForURL('**/audit');
      await page.getByLabel('Action').selectOption('sensitive_read');
      await page.getByLabel('Target').fill(contactId);
      await page.getByRole('button', { name: 'Filter' }).click();
      const row = page.getByTestId('audit-entries').locator('tr', { hasText: `operator:${agent.id}` });
      await row.first().waitFor();
      assert.match(await row.first().innerText(), /sensitive_read/);

      await page.getByRole('button', { name: 'Verify chain' }).click();
      const result = page.getByTestId('verify-result');
      await result.waitFor();
      assert.match((await result.getAttribute('class')) ?? '', /\bok\b/);
      assert.match(await result.innerText(), /Chain intact/);
      await screenshot(page, 'audit-verified');

      const victim = await t.runtime.database.db
        .selectFrom('audit_entries')
        .select('seq')
        .where('tenant_id', '=', shop.id)
        .where('action', '=', 'sensitive_read')
        .where('seq', 'is not', null)
        .orderBy('seq')
        .executeTakeFirstOrThrow();
      await t.runtime.database.db
        .updateTable('audit_entries')
        .set({ outcome: 'failure' })
        .where('tenant_id', '=', shop.id)
        .where('seq', '=', victim.seq)
        .execute();
      await page.getByRole('button', { name: 'Verify chain' }).click();
      await page.locator('[data-testid="verify-result"].bad').waitFor();
      assert.match(await result.innerText(), new RegExp(`First bad entry: #${Number(victim.seq)}\\.`));
      await screenshot(page, 'audit-tampered');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You have signed out.').waitFor();
    });

    test('an admin sees the team, searches by the last four digits and opens the access page', async () => {
      const { page } = browser;
      await signInWithRecoveryCode(page, admin, 'shop');
      await page.waitForURL('**/inbox');
      await page.getByTestId('conversation-list').waitFor();
      await screenshot(page, 'inbox-admin');
      await page.getByRole('link', { name: 'Team' }).click();
      await page
        .getByRole('cell', { name: /a\*\*\*@shop\.example/ })
        .first()
        .waitFor();
      await screenshot(page, 'team');
      await page.getByRole('link', { name: 'Search' }).click();
      await page.getByLabel('Last 4 digits').check();
      await page.getByLabel('Last four digits').fill(customer.phone.slice(-4));
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('button', { name: 'Open conversation' }).first().waitFor();
      await screenshot(page, 'search');
      await page.getByRole('link', { name: 'Access' }).click();
      await page.getByRole('heading', { name: 'Policies', exact: true }).waitFor();
      await screenshot(page, 'access');
    });
  },
);
