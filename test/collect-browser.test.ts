import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ensureConsoleBuilt } from '../src/features/console/build.ts';
import { enrollWithTotp, invite } from './support/auth.ts';
import {
  recordTraining,
  freePort,
  noBrowser,
  openBrowser,
  screenshot,
  signInWithRecoveryCode,
  type Browser,
} from './support/browser.ts';
import { startDlpFixture, type DlpFixture } from './dlp-fixture.ts';
import { encodings, postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

const TYPED = { name: '李伟 Li Wei', id_number: '11010519491231002X' };

/** Forms of a typed value a careless client might send: as typed, base64, hex, UTF-16. */
function shapes(value: string): string[] {
  const utf8 = Buffer.from(value, 'utf8');
  return [
    value,
    utf8.toString('base64'),
    utf8.toString('hex'),
    Buffer.from(value, 'utf16le').toString('base64'),
    JSON.stringify(value),
  ];
}

for (const target of databaseTargets()) {
  describe(
    `the secure form in Chromium: only ciphertext reaches the server (${target.name})`,
    { skip: noBrowser },
    () => {
      let f: DlpFixture;
      let browser: Browser;
      const received: { method: string; url: string; headers: string; body: Buffer }[] = [];

      let origin = '';
      before(async () => {
        await ensureConsoleBuilt({ whenStale: true });
        const port = await freePort();
        origin = `http://localhost:${port}`;
        f = await startDlpFixture(target, 13, {
          port,
          beforeListen(app) {
            // Everything the server receives, raw, before any parsing.
            app.addHook('onRequest', (request, _reply, done) => {
              received.push({
                method: request.method,
                url: request.url,
                headers: JSON.stringify(request.headers),
                body: Buffer.alloc(0),
              });
              done();
            });
            app.addHook('preParsing', async (_request, _reply, payload) => {
              const chunks: Buffer[] = [];
              for await (const chunk of payload) chunks.push(chunk as Buffer);
              const raw = Buffer.concat(chunks);
              received.at(-1)!.body = raw;
              return Readable.from([raw]);
            });
          },
        });
        browser = await openBrowser();
      });
      after(async () => {
        await browser?.close();
        await f?.close();
      });

      test('a customer fills the form; no request carries what was typed; the owner reveals it', async () => {
        const before = f.emulator.sent().length;
        const created = await f.who.agent.client.post(
          `/api/v1/conversations/${f.conversationId}/collect-links`,
          {
            template: 'customs_id',
          },
        );
        assert.equal(created.statusCode, 201, created.body);
        const link = (await f.sent(before + 1))
          .slice(before)
          .map((s) => (s.request as { text: { body: string } }).text.body)[0]!;
        const url = /(http:\/\/localhost:\d+\/collect\/#[A-Za-z0-9_-]{43})$/.exec(link)?.[1];
        assert.ok(url, 'the customer received a link to this server');

        const page = browser.page;
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(m.text());
        });
        page.on('pageerror', (e) => problems.push(e.message));
        const seen: string[] = [];
        page.on('request', (r) => seen.push(r.url()));
        received.length = 0;
        await page.goto(url);
        await page.locator('#f-name').fill(TYPED.name);
        await page.locator('#f-id_number').fill(TYPED.id_number);
        await page.locator('#send').click();
        await page.locator('#status').filter({ hasText: 'Thank you' }).waitFor({ timeout: 15_000 });
        await screenshot(page, 'collect-form-sent');
        assert.deepEqual(problems, [], 'no CSP violation or script error');
        assert.ok(
          seen.every((u) => u.startsWith(new URL(url).origin)),
          'no third-party request',
        );
        assert.ok(!page.url().includes('#'), 'the token left the address bar');

        const submit = received.find((r) => r.method === 'POST' && r.url === '/collect/submit');
        assert.ok(submit && submit.body.length > 0, 'the form was posted');
        const envelope = JSON.parse(submit.body.toString('utf8')) as Record<string, unknown>;
        assert.deepEqual(Object.keys(envelope).sort(), ['ct', 'epk', 'iv', 'kv', 'v']);
        for (const r of received) {
          const everything = `${r.url}\n${r.headers}\n${r.body.toString('utf8')}\n${r.body.toString('latin1')}`;
          for (const value of Object.values(TYPED))
            for (const shape of shapes(value))
              assert.ok(!everything.includes(shape), `${r.method} ${r.url} carried typed text`);
          assert.ok(!r.url.includes('#'), 'the fragment never reaches the server');
        }

        // At rest and in the logs: neither what was typed nor the link token, in any common encoding.
        const stored =
          target.name === 'sqlite'
            ? sqliteBytes(f.t.dataDir)
            : postgresDump(f.t.env.CHATVAULT_DATABASE_URL!, f.t.env.CHATVAULT_DATABASE_SCHEMA!);
        const logs = Buffer.from(f.t.logs.join('\n'));
        assert.ok(stored.includes(Buffer.from('collect_links')), 'the scan covers the stored data');
        const token = url.split('#')[1]!;
        for (const value of [...Object.values(TYPED), token])
          for (const bytes of encodings(value)) {
            assert.ok(!stored.includes(bytes), 'nothing typed (nor the token) is stored readable');
            assert.ok(!logs.includes(bytes), 'nothing typed (nor the token) is logged');
          }

        const list = await f.who.agent.client.get(`/api/v1/conversations/${f.conversationId}/messages`);
        const message = list
          .json<{ messages: { id: string; type: string }[] }>()
          .messages.find((m) => m.type === 'secure_form')!;
        const revealed = await f.who.owner.client.post(
          `/api/v1/conversations/${f.conversationId}/messages/${message.id}/restricted`,
          { reason: 'customs declaration for the parcel' },
        );
        assert.equal(revealed.statusCode, 200, revealed.body);
        assert.deepEqual(revealed.json<{ fields: Record<string, string> }>().fields, TYPED);
      });

      test('in the console, an agent a tenant policy allows reveals the form in the message bubble', async () => {
        const policy = await f.who.owner.client.post('/api/v1/access/policies', {
          description: 'Fulfilment agents read collected forms of their customers',
          text: `permit (principal in Role::"agent", action == Action::"revealRestricted", resource is Conversation)
  when { resource.assignedOperators.contains(principal) };`,
        });
        assert.equal(policy.statusCode, 201, policy.body);
        const password = 'fulfil pass phrase 2031';
        const { token, operator } = await invite(f.t.runtime, f.shop, 'fulfil@shop.example', 'agent');
        const { recoveryCodes } = await enrollWithTotp(f.app, f.clock, token, password);
        await recordTraining(f.t.runtime, f.shop, operator.id);
        const agent = { id: operator.id, email: 'fulfil@shop.example', password, recoveryCodes };
        const assigned = await f.who.owner.client.post('/api/v1/assignments', {
          contactId: f.contactId,
          operatorId: agent.id,
        });
        assert.equal(assigned.statusCode, 204, assigned.body);
        const { page } = browser;
        await page.goto(origin);
        await signInWithRecoveryCode(page, agent, 'shop');
        await page.goto(`${origin}/inbox/${f.conversationId}`);
        await page.getByTestId('secure-link').waitFor();
        // The sent link message reads as a label: no placeholder, link id or token on the screen.
        const label = page.getByTestId('collect-link-label').first();
        await label.waitFor();
        assert.equal((await label.innerText()).trim(), '🔒 secure form link sent');
        assert.ok(!(await page.content()).includes('collect-token'), 'no link placeholder in the bubbles');
        const part = page.getByTestId('restricted').last();
        await part.waitFor();
        assert.ok(
          !(await page.content()).includes(TYPED.id_number),
          'nothing restricted in the page before the reveal',
        );
        await part.getByRole('button', { name: 'Reveal restricted' }).click();
        await page.getByLabel('Reason').fill('prepare the customs declaration for this parcel');
        await page.getByRole('dialog').getByRole('button', { name: 'Reveal restricted' }).click();
        const values = page.getByTestId('restricted-values');
        await values.waitFor();
        const text = await values.innerText();
        assert.ok(
          text.includes(TYPED.id_number) && text.includes(TYPED.name),
          'the agent sees what the customer typed',
        );
        await screenshot(page, 'collect-revealed-in-console');
      });
    },
  );
}
