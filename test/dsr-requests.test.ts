import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openArchive } from '../src/features/dsr/export-archive.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

const DAY = 86_400_000;
const json = <T>(res: { body: string }) => JSON.parse(res.body) as T;

interface View {
  id: string;
  type: string;
  status: string;
  dueAt: string;
  receivedAt: string;
  daysLeft: number | null;
  overdue: boolean;
}

for (const target of databaseTargets()) {
  describe(`data-subject requests (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff;
    let auditor: TestStaff;
    let agent: TestStaff;
    const reason = { reason: 'customer e-mail ref 2026-117' };

    const put = (who: TestStaff, url: string, payload: unknown) =>
      f.app.inject({
        method: 'PUT',
        url,
        payload: payload as object,
        headers: { 'x-test-operator': who.id },
      });
    async function request(type: string, contactId: string): Promise<View> {
      const res = await asStaff(f.app, admin).post('/api/v1/dsr/requests', { contactId, type, ...reason });
      assert.equal(res.statusCode, 201, res.body);
      return json<View>(res);
    }

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
      auditor = await f.hire('auditor');
      agent = await f.hire('agent');
    });
    after(() => f.close());

    test('every request carries a deadline from the tenant regime; the console list counts it down', async () => {
      const res = await put(admin, '/api/v1/dsr/settings', { regime: 'pipl', deadlineDays: 15 });
      assert.equal(res.statusCode, 200, res.body);
      const r = await request('access', f.ids[3]!);
      assert.equal(Date.parse(r.dueAt) - Date.parse(r.receivedAt), 15 * DAY);
      assert.equal(r.daysLeft, 15);
      f.clock.advance(16 * DAY);
      const listed = json<{ requests: View[] }>(await asStaff(f.app, auditor).get('/api/v1/dsr/requests'));
      const mine = listed.requests.find((x) => x.id === r.id)!;
      assert.equal(mine.overdue, true);
      assert.equal(mine.daysLeft, -1);
      assert.equal((await asStaff(f.app, agent).get('/api/v1/dsr/requests')).statusCode, 403);
      const byAuditor = await asStaff(f.app, auditor).post('/api/v1/dsr/requests', {
        contactId: f.ids[3],
        type: 'erasure',
        ...reason,
      });
      assert.equal(byAuditor.statusCode, 403, 'the auditor follows requests but does not execute them');
      const stale = await asStaff(f.app, admin, 'stale').post('/api/v1/dsr/requests', {
        contactId: f.ids[3],
        type: 'erasure',
        ...reason,
      });
      assert.equal(stale.statusCode, 401, 'handling a request needs a fresh second factor');
      await put(admin, '/api/v1/dsr/settings', { regime: 'gdpr', deadlineDays: 30 });
      assert.equal((await request('access', f.ids[3]!)).daysLeft, 30);
    });

    test('access: an encrypted archive behind a one-time link that expires', async () => {
      await f.t.runtime.consent.importEvents(
        f.acme.id,
        [
          {
            contactId: f.ids[0]!,
            purpose: 'marketing',
            event: 'opt_in',
            at: new Date(),
            evidence: { method: 'shop form' },
          },
        ],
        testOperator,
      );
      const r = await request('access', f.ids[0]!);
      const res = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${r.id}/execute`, reason);
      assert.equal(res.statusCode, 200, res.body);
      const done = json<{ downloadUrl: string; passphrase: string; request: View }>(res);
      assert.equal(done.request.status, 'completed');
      const url = new URL(done.downloadUrl).pathname;
      const exportDir = path.join(f.t.dataDir, 'dsr-exports');
      const stored = fs.readdirSync(exportDir).map((n) => fs.readFileSync(path.join(exportDir, n)));
      assert.ok(
        stored.every((b) => !b.includes(Buffer.from(f.people[0]!.phone))),
        'only ciphertext is kept',
      );

      const first = await f.app.inject({ method: 'GET', url });
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers['cache-control'], 'no-store');
      const archive = first.rawPayload;
      assert.ok(
        !archive.includes(Buffer.from(f.people[0]!.phone)),
        'the archive is encrypted in transit too',
      );
      const doc = JSON.parse(openArchive(archive, done.passphrase).toString('utf8')) as {
        subject: { phone: string; email: string };
        consent: { event: string; evidence: { method: string } }[];
      };
      assert.equal(doc.subject.phone, f.people[0]!.phone);
      assert.equal(doc.subject.email, f.people[0]!.email);
      assert.deepEqual(
        doc.consent.map((c) => [c.event, c.evidence.method]),
        [['opt_in', 'shop form']],
      );
      assert.throws(() => openArchive(archive, 'wrong-pass-phrase'));
      assert.equal((await f.app.inject({ method: 'GET', url })).statusCode, 404, 'the link works once');
      assert.equal(fs.readdirSync(exportDir).length, 0, 'the archive is deleted once delivered');

      const late = await request('access', f.ids[0]!);
      const lateDone = json<{ downloadUrl: string }>(
        await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${late.id}/execute`, reason),
      );
      f.clock.advance(25 * 3600_000);
      assert.equal(
        (await f.app.inject({ method: 'GET', url: new URL(lateDone.downloadUrl).pathname })).statusCode,
        404,
      );
      assert.equal(fs.readdirSync(exportDir).length, 0);
    });

    test('access: the archive lists the customer’s campaign sends, breach notices and access log, nobody else’s', async () => {
      const me = f.ids[3]!;
      const other = f.ids[1]!;
      const db = f.t.runtime.database.db;
      const now = f.clock.now().toISOString();
      await f.assign(me, agent);
      await f.assign(other, agent);
      const reveal = (id: string, reasonText: string) =>
        asStaff(f.app, agent).post(`/api/v1/contacts/${id}/reveal`, { field: 'email', reason: reasonText });
      assert.equal((await reveal(me, 'customer asked about parcel 7781')).statusCode, 200);
      assert.equal((await reveal(other, 'other customer call 5512')).statusCode, 200);

      for (const [id, name, template] of [
        ['cmp_spring', 'Spring sale', 'spring_promo'],
        ['cmp_others', 'Winback others', 'winback'],
      ] as const) {
        await sql`insert into campaigns (id, tenant_id, channel_id, name, template_name, template_language,
          parameters, segment, status, rate_per_s, quality_stop_after, created_by, created_at, updated_at)
          values (${id}, ${f.acme.id}, 'ch_x', ${name}, ${template}, 'en', '{}', '{}', 'completed', 10, 0,
          ${admin.id}, ${now}, ${now})`.execute(db);
      }
      const recipient = (id: string, campaign: string, contact: string, status: string) =>
        sql`insert into campaign_recipients (id, campaign_id, contact_id, tenant_id, status, next_at,
          attempts, sent_at, updated_at)
          values (${id}, ${campaign}, ${contact}, ${f.acme.id}, ${status}, ${now}, 1, ${now}, ${now})`.execute(
          db,
        );
      await recipient('cr_1', 'cmp_spring', me, 'delivered');
      await recipient('cr_2', 'cmp_spring', other, 'read');
      await recipient('cr_3', 'cmp_others', other, 'sent');
      const notice = (id: string, incident: string, contact: string) =>
        sql`insert into incident_notices (id, tenant_id, incident_id, contact_id, language, channel,
          message_id, created_at)
          values (${id}, ${f.acme.id}, ${incident}, ${contact}, 'de', 'other_channel', null, ${now})`.execute(
          db,
        );
      await notice('nt_1', 'inc_mine', me);
      await notice('nt_2', 'inc_theirs', other);
      await f.t.runtime.audit.sequence();

      const r = await request('access', me);
      const done = json<{ downloadUrl: string; passphrase: string }>(
        await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${r.id}/execute`, reason),
      );
      const file = await f.app.inject({ method: 'GET', url: new URL(done.downloadUrl).pathname });
      assert.equal(file.statusCode, 200);
      const text = openArchive(file.rawPayload, done.passphrase).toString('utf8');
      const doc = JSON.parse(text) as {
        campaignSends: { campaign: string; template: { name: string }; status: string; sentAt: string }[];
        incidentNotices: { reference: string; language: string; channel: string }[];
        accessLog: {
          action: string;
          by: { type: string; role: string | null; pseudonym: string };
          fields: string[];
          via: string | null;
          reason: string | null;
        }[];
      };
      assert.deepEqual(
        doc.campaignSends.map((s) => [s.campaign, s.template.name, s.status, s.sentAt]),
        [['Spring sale', 'spring_promo', 'delivered', now]],
      );
      assert.deepEqual(
        doc.incidentNotices.map((n) => [n.reference, n.language, n.channel]),
        [['inc_mine', 'de', 'other_channel']],
      );
      const reveals = doc.accessLog.filter((e) => e.via === 'reveal');
      assert.equal(reveals.length, 1, JSON.stringify(doc.accessLog.map((e) => e.action)));
      const [read] = reveals;
      assert.deepEqual(read, {
        ...read,
        action: 'sensitive_read',
        fields: ['email'],
        reason: 'customer asked about parcel 7781',
        by: { type: 'operator', role: 'agent', pseudonym: read?.by.pseudonym },
      });
      assert.match(read?.by.pseudonym ?? '', /^staff-\d+$/);
      for (const hidden of [
        agent.id,
        admin.id,
        'other customer call 5512',
        'Winback',
        'inc_theirs',
        '127.0.0.1',
      ])
        assert.ok(!text.includes(hidden), `the archive leaves out ${hidden}`);
    });

    test('rectification corrects a field, audited without the values', async () => {
      const r = await request('rectification', f.ids[1]!);
      const res = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${r.id}/execute`, {
        ...reason,
        fields: { profileName: 'Corrected Name' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const contact = await f.t.runtime.contacts.getById(f.acme, f.ids[1]!, testReveal);
      assert.equal(contact.profileName, 'Corrected Name');
      const entries = await f.auditOf({ action: 'sensitive_update', targetId: r.id });
      assert.equal(entries.length, 1);
      const bad = await request('rectification', f.ids[1]!);
      const refused = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${bad.id}/execute`, {
        ...reason,
        fields: {},
      });
      assert.equal(refused.statusCode, 400);
    });

    test('erasure: the key goes at once, the rows follow, a tombstone and the audit entry stay', async () => {
      const r = await request('erasure', f.ids[2]!);
      // The country stored with the phone (not identifying) is cleared with the phone.
      const countryOf = async () =>
        (
          await sql<{ country: string | null }>`select country from contacts
            where id = ${f.ids[2]!}`.execute(f.t.runtime.database.db)
        ).rows[0]?.country;
      assert.match((await countryOf()) ?? '', /^[A-Z]{2}$/);
      assert.notEqual(await countryOf(), 'ZZ');
      const res = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${r.id}/execute`, reason);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(await countryOf(), 'ZZ');
      assert.ok(json<{ keyDestroyedMs: number }>(res).keyDestroyedMs < 5000);
      await assert.rejects(f.t.runtime.contacts.getById(f.acme, f.ids[2]!, testReveal));
      await f.t.runtime.erasure.purgePending();
      const rows = await f.t.runtime.database.db
        .selectFrom('contacts')
        .select('id')
        .where('id', '=', f.ids[2]!)
        .execute();
      assert.deepEqual(rows, []);
      assert.equal((await f.auditOf({ action: 'key_destroy', targetId: f.ids[2]! })).length, 1);
      const again = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${r.id}/execute`, reason);
      assert.equal(again.statusCode, 409);
    });
  });
}
