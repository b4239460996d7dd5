import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { testReveal } from './support/actors.ts';
import { databaseTargets } from './support/targets.ts';

const json = <T>(res: { body: string }) => JSON.parse(res.body) as T;

for (const target of databaseTargets()) {
  describe(`consent API and hosted opt-in page (${target.name})`, () => {
    let f: AccessFixture;
    let marketer: TestStaff;
    let agent: TestStaff;

    before(async () => {
      f = await startAccessFixture(target);
      marketer = await f.hire('marketer');
      agent = await f.hire('agent');
    });
    after(() => f.close());

    test('opt-ins are imported with evidence, and the history shows them with the derived state', async () => {
      const items = [
        {
          contactId: f.ids[0],
          purpose: 'marketing',
          at: '2026-01-02T03:04:05.000Z',
          evidence: { method: 'paper form', reference: 'box 12' },
        },
        {
          contactId: f.ids[0],
          purpose: 'utility',
          event: 'opt_out',
          at: '2026-01-03T00:00:00.000Z',
          evidence: { method: 'phone call' },
        },
      ];
      const res = await asStaff(f.app, marketer).post('/api/v1/consent/import', { items });
      assert.equal(res.statusCode, 201, res.body);
      const history = json<{
        canSend: { marketing: boolean; utility: boolean };
        events: { source: string; event: string; evidence: { method: string } }[];
      }>(await asStaff(f.app, marketer).get(`/api/v1/contacts/${f.ids[0]}/consent`));
      assert.deepEqual(history.canSend, { marketing: true, utility: false });
      assert.deepEqual(
        history.events.map((e) => [e.event, e.source, e.evidence.method]),
        [
          ['opt_in', 'import', 'paper form'],
          ['opt_out', 'import', 'phone call'],
        ],
      );
      const stored = await f.t.runtime.database.db
        .selectFrom('consent_events')
        .select('evidence_ct')
        .execute();
      assert.ok(stored.every((r) => r.evidence_ct && !r.evidence_ct.includes(Buffer.from('paper form'))));
      assert.equal((await f.auditOf({ action: 'sensitive_read', targetId: f.ids[0]! })).length >= 1, true);
    });

    test('bad imports are refused whole with a clear 4xx; agents may not import', async () => {
      const bad = await asStaff(f.app, marketer).post('/api/v1/consent/import', {
        items: [
          { contactId: f.ids[1], purpose: 'sms', at: '2026-01-02T03:04:05Z', evidence: { method: 'x y' } },
        ],
      });
      assert.equal(bad.statusCode, 400);
      const unknown = await asStaff(f.app, marketer).post('/api/v1/consent/import', {
        items: [
          {
            contactId: 'ct_00000000000000000000000000',
            purpose: 'marketing',
            at: '2026-01-02T03:04:05Z',
            evidence: { method: 'form' },
          },
        ],
      });
      assert.equal(unknown.statusCode, 404);
      const byAgent = await asStaff(f.app, agent).post('/api/v1/consent/import', { items: [] });
      assert.equal(byAgent.statusCode, 403);
      assert.equal(await f.t.runtime.consent.canSend(f.acme.id, f.ids[1]!, 'marketing'), false);
    });

    test('tenant keywords replace the defaults', async () => {
      const res = await f.app.inject({
        method: 'PUT',
        url: '/api/v1/consent/settings',
        headers: { 'x-test-operator': marketer.id },
        payload: { optOutKeywords: ['BASTA', '退订'], optInKeywords: ['VAI'] },
      });
      assert.equal(res.statusCode, 200, res.body);
      const { matcher } = await f.t.runtime.consent.settings(f.acme.id);
      assert.equal(matcher.match('basta'), 'opt_out');
      assert.equal(matcher.match('STOP'), undefined);
      const tooLong = await f.app.inject({
        method: 'PUT',
        url: '/api/v1/consent/settings',
        headers: { 'x-test-operator': marketer.id },
        payload: { optOutKeywords: ['x'.repeat(100)] },
      });
      assert.equal(tooLong.statusCode, 400);
    });

    test('the hosted opt-in page states who asks and why, has a strict CSP, and records a web-form opt-in', async () => {
      const page = await f.app.inject({ method: 'GET', url: '/optin/acme' });
      assert.equal(page.statusCode, 200);
      const csp = String(page.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /form-action 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.ok(page.body.includes('Acme') && page.body.includes('on WhatsApp'));
      assert.ok(
        !/<script/i.test(page.body) && !/https?:\/\//.test(page.body.replace(/content="[^"]*"/g, '')),
      );
      assert.match(page.body, /type="checkbox" value="yes" required>/, 'the box starts unticked');
      const cookie = String(page.headers['set-cookie']).split(';')[0]!;
      assert.match(String(page.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
      const csrf = cookie.split('=').slice(1).join('=');
      const post = (body: string, headers: Record<string, string> = {}) =>
        f.app.inject({
          method: 'POST',
          url: '/optin/acme',
          payload: body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        });
      const form = (phone: string) =>
        `csrf=${encodeURIComponent(csrf)}&phone=${encodeURIComponent(phone)}&agree=yes`;
      assert.equal((await post(form(f.people[1]!.phone))).statusCode, 403, 'no cookie: refused');
      assert.equal(
        (await post(form(f.people[1]!.phone), { cookie, origin: 'https://evil.example' })).statusCode,
        403,
        'another origin: refused',
      );
      const forged = await post(`csrf=forged.1.x&phone=1&agree=yes`, { cookie: 'cv_optin=forged.1.x' });
      assert.equal(forged.statusCode, 403);
      const unticked = await post(
        `csrf=${encodeURIComponent(csrf)}&phone=${encodeURIComponent(f.people[1]!.phone)}`,
        {
          cookie,
        },
      );
      assert.equal(unticked.statusCode, 400);
      const ok = await post(form(f.people[1]!.phone), { cookie });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(await f.t.runtime.consent.canSend(f.acme.id, f.ids[1]!, 'marketing'), true);
      const history = await f.t.runtime.consent.history(f.acme.id, f.ids[1]!, testReveal.actor);
      assert.equal(history.events.at(-1)?.source, 'web_form');
      const fresh = await post(form('+49 151 23456789'), { cookie });
      assert.equal(fresh.statusCode, 200, 'a number we did not know becomes a customer with an opt-in');
      assert.equal((await f.app.inject({ method: 'GET', url: '/optin/nope' })).statusCode, 404);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await post(form(f.people[2]!.phone), { cookie })).statusCode);
      assert.equal(codes.at(-1), 429, 'a flood of submissions from one address is throttled');
    });
  });
}
