import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { ensureConsoleBuilt } from '../src/features/console/build.ts';
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
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'amber-keyring-harbour-2031';
const [target] = databaseTargets();
const CUSTOMERS = 25;

describe(`the console's Keys page in a real browser (${target!.name})`, { skip: noBrowser }, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let shop: Tenant;
  let browser: Browser;
  let publicUrl = '';
  let admin: Awaited<ReturnType<typeof enrolledOperator>>;

  before(async () => {
    await ensureConsoleBuilt({ whenStale: true });
    const port = await freePort();
    publicUrl = `http://localhost:${port}`;
    t = await startTestRuntime(target!, { env: { CHATVAULT_PUBLIC_URL: publicUrl } });
    shop = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
    await t.runtime.contacts.createMany(shop, fakeCustomers(CUSTOMERS, 17), testOperator);
    app = buildApp(t.runtime);
    await app.listen({ host: '127.0.0.1', port });
    admin = await enrolledOperator(app, t.runtime, shop, 'admin@shop.example', 'admin', PASSWORD);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  test('an admin sees versions, ages and references, rotates the data key and watches the job reach 100%', async () => {
    const { page } = browser;
    await page.goto(publicUrl);
    await signInWithRecoveryCode(page, admin, 'shop');
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    const dataRow = page.getByRole('row').filter({ has: page.getByText('data', { exact: true }) });
    await dataRow.waitFor();
    const cells = await dataRow.getByRole('cell').allInnerTexts();
    assert.equal(cells[1], 'v1');
    assert.equal(cells[2], 'Active');
    assert.equal(cells[3], '0 days');
    assert.equal(cells[5], String(CUSTOMERS), 'every customer key is wrapped under data v1');
    await screenshot(page, 'keys-before');

    await dataRow.getByRole('button', { name: 'Rotate' }).click();
    await page.getByText('A new key version is active.').waitFor();
    const progress = page.getByRole('progressbar', { name: 'Job progress' });
    await progress.waitFor();
    await page.getByText('The key job finished; every record is under the new version.').waitFor({
      timeout: 30_000,
    });
    assert.equal(await progress.getAttribute('value'), '100');
    await page.getByText(`${CUSTOMERS} of ${CUSTOMERS} (100%)`).waitFor();
    await screenshot(page, 'keys-rotated');

    // The table now shows v2 active with every reference, v1 retired with none.
    const v2 = page.getByRole('row').filter({ has: page.getByText('v2', { exact: true }) });
    await v2.first().waitFor();
    const v2Cells = await v2.first().getByRole('cell').allInnerTexts();
    assert.equal(v2Cells[2], 'Active');
    assert.equal(v2Cells[5], String(CUSTOMERS));
    const v1 = page
      .getByRole('row')
      .filter({ has: page.getByText('v1', { exact: true }) })
      .filter({ has: page.getByText('Retired (decrypts only)') });
    assert.equal((await v1.first().getByRole('cell').allInnerTexts())[5], '0');
    const status = await t.runtime.keyLifecycle.status(shop.id);
    assert.equal(status.jobs[0]!.status, 'done');
  });
});
