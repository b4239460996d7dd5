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
      // A row of another feature that points at the customer (campaign segments' country).
      await sql`insert into contact_countries (contact_id, tenant_id, country)
        values (${f.ids[2]!}, ${f.acme.id}, 'DE')`.execute(f.t.runtime.database.db);
      const res = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${r.id}/execute`, reason);
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(json<{ keyDestroyedMs: number }>(res).keyDestroyedMs < 5000);
      await assert.rejects(f.t.runtime.contacts.getById(f.acme, f.ids[2]!, testReveal));
      await f.t.runtime.erasure.purgePending();
      const rows = await f.t.runtime.database.db
        .selectFrom('contacts')
        .select('id')
        .where('id', '=', f.ids[2]!)
        .execute();
      assert.deepEqual(rows, []);
      const linked = await sql<{ n: number }>`select count(*) as n from contact_countries
        where contact_id = ${f.ids[2]!}`.execute(f.t.runtime.database.db);
      assert.equal(Number(linked.rows[0]!.n), 0);
      assert.equal((await f.auditOf({ action: 'key_destroy', targetId: f.ids[2]! })).length, 1);
      const again = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${r.id}/execute`, reason);
      assert.equal(again.statusCode, 409);
    });
  });
}
