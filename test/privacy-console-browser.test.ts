import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { totpCode } from '../src/features/auth/totp.ts';
import { ensureConsoleBuilt } from '../src/features/console/build.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { openArchive } from '../src/features/dsr/export-archive.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { testOperator } from './support/actors.ts';
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

const PASSWORD = 'meadow-ledger-copper-2031';
const REASON_LABEL = 'Reason (recorded encrypted in the audit log)';

for (const target of databaseTargets()) {
  describe(
    `the console's data-subject requests in a real browser (${target.name})`,
    { skip: noBrowser },
    () => {
      const clock = offsetClock();
      let t: TestRuntime;
      let app: FastifyInstance;
      let shop: Tenant;
      let browser: Browser;
      let publicUrl = '';
      let admin: Awaited<ReturnType<typeof enrolledOperator>>;
      let customer: { id: string; phone: string };

      before(async () => {
        await ensureConsoleBuilt({ whenStale: true });
        const port = await freePort();
        publicUrl = `http://localhost:${port}`;
        t = await startTestRuntime(target, { clock, env: { CHATVAULT_PUBLIC_URL: publicUrl } });
        shop = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
        const created = await t.runtime.contacts.createMany(shop, fakeCustomers(3, 29), testOperator);
        customer = { id: created[0]!.id, phone: created[0]!.phone! };
        app = buildApp(t.runtime);
        await app.listen({ host: '127.0.0.1', port });
        admin = await enrolledOperator(app, t.runtime, shop, 'admin@shop.example', 'admin', PASSWORD);
        clock.advance(30); // past the enrollment's TOTP step
        browser = await openBrowser();
      });
      after(async () => {
        await browser?.close();
        await app?.close();
        await t?.close();
      });

      test('an admin records an access request, executes it with a fresh second factor and gets the one-time link and passphrase', async () => {
        const { page } = browser;
        await page.goto(publicUrl);
        await signInWithRecoveryCode(page, admin, 'shop');
        await page.getByRole('link', { name: 'Data requests' }).click();
        await page.getByRole('heading', { name: 'Data-subject requests' }).waitFor();

        const form = page.getByRole('form', { name: 'New request' });
        await form.getByLabel('Customer id').fill(customer.id);
        await form.getByLabel('Type').selectOption('access');
        await form.getByLabel(REASON_LABEL).fill('customer e-mail of 29 Nov asking for a copy');
        await form.getByRole('button', { name: 'Record request' }).click();
        const row = page.getByRole('row').filter({ has: page.getByText(customer.id, { exact: true }) });
        await row.waitFor();
        assert.match(await row.innerText(), /Access \/ export/);
        assert.match(await row.innerText(), /Open/);
        await screenshot(page, 'privacy-request-created');

        // Six minutes later the second factor is stale: executing asks for a fresh one.
        clock.advance(6 * 60);
        await row.getByRole('button', { name: 'Execute' }).click();
        const dialog = page.getByRole('dialog', { name: 'Execute: Access / export' });
        await dialog.getByLabel(REASON_LABEL).fill('sending the customer their archive');
        await dialog.getByRole('button', { name: 'Execute' }).click();
        const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
        await stepUp.waitFor();
        await screenshot(page, 'privacy-step-up');
        await stepUp
          .getByLabel('Or a code from your authenticator app')
          .fill(totpCode(admin.seed, clock.now()));
        await stepUp.getByRole('button', { name: 'Verify' }).click();
        await stepUp.waitFor({ state: 'hidden' });

        const result = page.getByTestId('dsr-result');
        await result.getByText('The request was executed.').waitFor();
        const link = await result.getByLabel('Download link').inputValue();
        const passphrase = await result.getByLabel('Passphrase').inputValue();
        assert.ok(link.startsWith(`${publicUrl}/dsr/download/`), 'a link the customer can open');
        await screenshot(page, 'privacy-request-executed');
        await dialog.getByRole('button', { name: 'Close' }).click();
        await row.getByText('Completed', { exact: true }).waitFor();
        assert.equal(
          await row.getByRole('button', { name: 'Execute' }).count(),
          0,
          'done requests have no button',
        );

        const download = await fetch(link);
        assert.equal(download.status, 200);
        const doc = JSON.parse(
          openArchive(Buffer.from(await download.arrayBuffer()), passphrase).toString('utf8'),
        ) as {
          subject: { phone: string };
        };
        assert.equal(doc.subject.phone, customer.phone, 'the archive is this customer’s');
        assert.equal((await fetch(link)).status, 404, 'the link works once');
      });
    },
  );
}
