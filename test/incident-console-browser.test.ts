import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { totpCode } from '../src/features/auth/totp.ts';
import { ensureConsoleBuilt } from '../src/features/console/build.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { testOperator } from './support/actors.ts';
import { signIn, type Client } from './support/auth.ts';
import {
  enrolledOperator,
  freePort,
  noBrowser,
  openBrowser,
  screenshot,
  signInWithRecoveryCode,
  type Browser,
} from './support/browser.ts';
import { offsetClock } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'lantern-orchard-quartz-2031';
const REASON = 'checking the delivery address for an order';

for (const target of databaseTargets()) {
  describe(
    `the console's alerts and incidents in a real browser (${target.name})`,
    { skip: noBrowser },
    () => {
      const clock = offsetClock();
      let t: TestRuntime;
      let app: FastifyInstance;
      let shop: Tenant;
      let browser: Browser;
      let publicUrl = '';
      let owner: Awaited<ReturnType<typeof enrolledOperator>>;
      let attacker: Awaited<ReturnType<typeof enrolledOperator>>;
      let stolen: Client, own: Client;
      let customers: string[];
      let canaryId = '';

      before(async () => {
        await ensureConsoleBuilt({ whenStale: true });
        const port = await freePort();
        publicUrl = `http://localhost:${port}`;
        t = await startTestRuntime(target, { clock, env: { CHATVAULT_PUBLIC_URL: publicUrl } });
        shop = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
        customers = (await t.runtime.contacts.createMany(shop, fakeCustomers(6, 23), testOperator)).map(
          (c) => c.id,
        );
        app = buildApp(t.runtime);
        await app.listen({ host: '127.0.0.1', port });
        owner = await enrolledOperator(app, t.runtime, shop, 'owner@shop.example', 'owner', PASSWORD);
        attacker = await enrolledOperator(app, t.runtime, shop, 'admin@shop.example', 'admin', PASSWORD);
        clock.advance(30); // past the enrollment's TOTP step
        // The tenant's canary customers appear on the engine's first pass.
        await t.runtime.detection.run();
        const canaries = await t.runtime.database.db
          .selectFrom('access_canaries')
          .select('contact_id')
          .where('tenant_id', '=', shop.id)
          .execute();
        canaryId = canaries[0]!.contact_id;
        const who = { tenant: 'shop', email: attacker.email, password: PASSWORD, seed: attacker.seed };
        // The admin's cookie was stolen (session "stolen"); the admin also works normally (session "own").
        stolen = await signIn(app, clock, who, '203.0.113.66');
        own = await signIn(app, clock, who);
        browser = await openBrowser();
      });
      after(async () => {
        await browser?.close();
        await app?.close();
        await t?.close();
      });

      test('an owner sees a real alert, follows it to its incident, contains it with step-up, scopes the blast radius to a session and downloads the report', async () => {
        const reveal = async (c: Client, contactId: string) => {
          const res = await c.post(`/api/v1/contacts/${contactId}/reveal`, {
            field: 'phone',
            reason: REASON,
          });
          assert.equal(res.statusCode, 200, res.body);
        };
        for (const c of [stolen, own])
          assert.equal(
            (await c.post('/api/v1/break-glass', { reason: REASON, minutes: 60 })).statusCode,
            201,
          );
        for (const id of customers.slice(0, 2)) await reveal(stolen, id);
        await reveal(stolen, canaryId); // a honeytoken: the canary rule raises a critical alert
        for (const id of customers.slice(2, 5)) await reveal(own, id);
        await t.runtime.audit.sequence();
        await t.runtime.detection.run();
        const stolenSession = (
          await t.runtime.database.db
            .selectFrom('audit_entries')
            .select('session_id')
            .where('tenant_id', '=', shop.id)
            .where('target_id', '=', canaryId)
            .where('action', '=', 'sensitive_read')
            .executeTakeFirstOrThrow()
        ).session_id!;
        assert.ok(stolenSession);

        const { page } = browser;
        await page.goto(publicUrl);
        await signInWithRecoveryCode(page, owner, 'shop');

        // Alerts: the canary rule's critical alert, with a link to the incident it opened.
        await page.getByRole('link', { name: 'Alerts' }).click();
        await page.getByRole('heading', { name: 'Alerts' }).waitFor();
        const row = page.getByRole('row').filter({ has: page.getByText('canary_touched', { exact: true }) });
        await row.waitFor();
        assert.match(await row.innerText(), /Critical/);
        await screenshot(page, 'incident-alerts');
        await row.getByRole('button', { name: 'Incident' }).click();
        await page.getByRole('heading', { name: 'Containment' }).waitFor();
        assert.match(page.url(), /\/incidents\/[a-z]{2,4}_[0-9a-z]{26}$/);
        const incidentId = page.url().split('/').at(-1)!;
        await page.getByText(`Suspect: operator ${attacker.id}`).waitFor();
        await page.getByTestId('deadlines').waitFor();

        // The operator's blast radius: both sessions, five customers and the canary.
        await page
          .getByTestId('blast-totals')
          .getByText(/^6 customers, 6 records/)
          .waitFor();

        // Six minutes later the owner's second factor is stale: the playbook asks for a fresh one.
        clock.advance(6 * 60);
        await page.getByRole('button', { name: 'Disable operator and end sessions' }).click();
        const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
        await dialog.waitFor();
        await screenshot(page, 'incident-step-up');
        await dialog
          .getByLabel('Or a code from your authenticator app')
          .fill(totpCode(owner.seed, clock.now()));
        await dialog.getByRole('button', { name: 'Verify' }).click();
        await dialog.waitFor({ state: 'hidden' });
        await page.getByTestId('timeline').getByText('playbook:disable_operator').waitFor();
        // Contained: both of the admin's sessions are dead.
        assert.equal((await stolen.get('/api/v1/access/me')).statusCode, 401);
        assert.equal((await own.get('/api/v1/access/me')).statusCode, 401);
        const operator = await t.runtime.operators.getById(shop.id, attacker.id);
        assert.equal(operator.status, 'disabled');
        // The playbook's audit entry, written over real HTTP from the browser, names the owner's session.
        const playbookEntry = await t.runtime.database.db
          .selectFrom('audit_entries')
          .select(['session_id'])
          .where('tenant_id', '=', shop.id)
          .where('action', '=', 'incident_playbook')
          .where('actor_id', '=', owner.id)
          .executeTakeFirstOrThrow();
        const ownerSessions = await t.runtime.database.db
          .selectFrom('auth_sessions')
          .select('id')
          .where('operator_id', '=', owner.id)
          .execute();
        assert.ok(ownerSessions.some((r) => r.id === playbookEntry.session_id));

        // Blast radius of the stolen session only: two customers and the canary, not the admin's own work.
        await page.getByLabel('Suspected actor').selectOption('session');
        await page.getByLabel('Its id (operator, API key, address or session)').fill(stolenSession);
        await page.getByRole('button', { name: 'Recompute' }).click();
        await page
          .getByTestId('blast-totals')
          .getByText(/^3 customers, 3 records, fields: phone/)
          .waitFor();
        const csvDownload = page.waitForEvent('download');
        await page.getByRole('button', { name: 'CSV' }).click();
        const csv = fs.readFileSync(await (await csvDownload).path(), 'utf8');
        const listed = csv
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.split(',')[0])
          .sort();
        assert.deepEqual(listed, [...customers.slice(0, 2), canaryId].sort());
        await screenshot(page, 'incident-blast-session');

        // The auditor-readable report downloads and opens.
        const reportDownload = page.waitForEvent('download');
        await page.getByRole('button', { name: 'Incident report (HTML)' }).click();
        const download = await reportDownload;
        assert.equal(download.suggestedFilename(), `incident-${incidentId}.html`);
        const file = await download.path();
        const html = fs.readFileSync(file, 'utf8');
        assert.match(html, new RegExp(`Incident report ${incidentId}`));
        assert.match(html, /playbook:disable_operator/);
        assert.match(html, /GDPR Art\. 33/);
        const report = await browser.context.newPage();
        await report.setContent(html); // the saved file has no extension: render its bytes as HTML
        await report.getByRole('heading', { name: 'Blast radius' }).waitFor();
        const customersRow = report
          .getByRole('row')
          .filter({ has: report.getByText('Customers', { exact: true }) });
        assert.equal((await customersRow.getByRole('cell').innerText()).trim(), '6');
        await screenshot(report, 'incident-report');
        await report.close();
      });
    },
  );
}
