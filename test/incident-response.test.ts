import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { assertNotFrozen } from '../src/features/incidents/freeze.ts';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

const owner = (f: AccessFixture) => asStaff(f.app, f.owner);

for (const target of databaseTargets()) {
  describe(`incident response: permissions, states, playbooks, notes (${target.name})`, () => {
    let f: AccessFixture;
    let agent: TestStaff, auditor: TestStaff, admin: TestStaff;
    let incidentId: string;

    before(async () => {
      f = await startAccessFixture(target);
      agent = await f.hire('agent');
      auditor = await f.hire('auditor');
      admin = await f.hire('admin');
    });
    after(() => f.close());

    test('admins and owners open incidents by hand; auditors read them; agents may not', async () => {
      const denied = await asStaff(f.app, auditor).post('/api/v1/incidents', { title: 'Lost laptop' });
      assert.equal(denied.statusCode, 403);
      const res = await asStaff(f.app, admin).post('/api/v1/incidents', {
        title: 'Suspicious vendor traffic',
        severity: 'high',
        suspect: { type: 'operator', id: agent.id },
        from: new Date(f.clock.now().getTime() - 3_600_000).toISOString(),
      });
      assert.equal(res.statusCode, 201, res.body);
      incidentId = res.json<{ incident: { id: string } }>().incident.id;
      assert.equal((await asStaff(f.app, auditor).get(`/api/v1/incidents/${incidentId}`)).statusCode, 200);
      assert.equal((await asStaff(f.app, agent).get('/api/v1/incidents')).statusCode, 403);
      assert.equal((await asStaff(f.app, agent).get('/api/v1/alerts')).statusCode, 403);
      assert.equal((await asStaff(f.app, null).get('/api/v1/incidents')).statusCode, 401);
    });

    test('new alerts stream to the console as server-sent events', async () => {
      const url = await f.app.listen({ host: '127.0.0.1', port: 0 });
      let text = '';
      let status = 0;
      let type = '';
      const got = new Promise<void>((resolve, reject) => {
        const req = http.get(
          `${url}/api/v1/alerts/stream`,
          { headers: { 'x-test-operator': auditor.id } },
          (res) => {
            status = res.statusCode ?? 0;
            type = String(res.headers['content-type']);
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
              if (text.includes('event: alert')) {
                req.destroy();
                resolve();
              }
            });
          },
        );
        req.on('error', (err) => (text.includes('event: alert') ? resolve() : reject(err)));
      });
      await new Promise((r) => setTimeout(r, 100)); // the stream is subscribed
      await f.t.runtime.detection.recordDecryptFailure(f.acme.id, { type: 'contact', id: 'ct_tampered' });
      await f.t.runtime.audit.sequence();
      await f.t.runtime.detection.run();
      await got;
      assert.equal(status, 200);
      assert.match(type, /text\/event-stream/);
      assert.match(text, /event: alert\ndata: .*"rule":"decryption_failure"/);
    });

    test('states only move forward; notes are on the timeline and sealed at rest', async () => {
      const state = (s: string) => owner(f).post(`/api/v1/incidents/${incidentId}/state`, { state: s });
      assert.equal((await state('triaged')).statusCode, 200);
      assert.equal((await state('detected')).statusCode, 409);
      assert.equal((await state('bogus')).statusCode, 400);
      const secret = 'the laptop serial is ABC-4711-XYZ';
      assert.equal(
        (await owner(f).post(`/api/v1/incidents/${incidentId}/notes`, { note: secret })).statusCode,
        204,
      );
      const detail = (await asStaff(f.app, auditor).get(`/api/v1/incidents/${incidentId}`)).json<{
        timeline: Array<{ kind: string; note?: string }>;
      }>();
      assert.deepEqual(
        detail.timeline.map((e) => e.kind),
        ['opened', 'state', 'note'],
      );
      assert.equal(detail.timeline[2]!.note, secret);
      const rows = await f.t.runtime.database.db
        .withTables<{ incident_events: { note_ct: Buffer | null; detail: string } }>()
        .selectFrom('incident_events')
        .select(['note_ct', 'detail'])
        .execute();
      for (const r of rows) {
        assert.doesNotMatch(r.detail, /ABC-4711/);
        if (r.note_ct) assert.equal(Buffer.from(r.note_ct).includes('ABC-4711'), false);
      }
      const audited = await f.auditOf({ action: 'incident_change', targetId: incidentId });
      assert.equal(audited.length, 3, 'opened, state and note are each audited');
    });

    test('the freeze playbook blocks approved bulk exports until lifted', async () => {
      const pb = (body: object) => owner(f).post(`/api/v1/incidents/${incidentId}/playbooks`, body);
      assert.equal((await pb({ playbook: 'freeze', exports: true, campaigns: true })).statusCode, 200);
      const db = f.t.runtime.database.db;
      await assert.rejects(assertNotFrozen(db, f.acme.id, 'exports'), { status: 423 });
      await assert.rejects(assertNotFrozen(db, f.acme.id, 'campaigns'), { status: 423 });
      const request = await asStaff(f.app, admin).post('/api/v1/approvals', {
        kind: 'contacts_export',
        payloadRef: 'export-job-1',
        reason: 'quarterly export for the accountants',
      });
      assert.equal(request.statusCode, 201, request.body);
      const approvalId = request.json<{ request: { id: string } }>().request.id;
      assert.equal((await owner(f).post(`/api/v1/approvals/${approvalId}/approve`)).statusCode, 200);
      await assert.rejects(
        db.transaction().execute((trx) =>
          f.t.runtime.access.approvals.runApproved(trx, f.acme.id, approvalId, {
            kind: 'contacts_export',
            payloadRef: 'export-job-1',
          }),
        ),
        { status: 423 },
      );
      assert.equal((await pb({ playbook: 'freeze', exports: false, campaigns: false })).statusCode, 200);
      await assertNotFrozen(db, f.acme.id, 'exports');
      await db.transaction().execute((trx) =>
        f.t.runtime.access.approvals.runApproved(trx, f.acme.id, approvalId, {
          kind: 'contacts_export',
          payloadRef: 'export-job-1',
        }),
      );
    });

    test('rotate-keys, suspend-vendor and revoke-key playbooks run the real services and are audited', async () => {
      const pb = (body: object) => owner(f).post(`/api/v1/incidents/${incidentId}/playbooks`, body);
      const before = await f.t.runtime.keyLifecycle.status(f.acme.id);
      const rotated = await pb({ playbook: 'rotate_keys' });
      assert.equal(rotated.statusCode, 200, rotated.body);
      const after = await f.t.runtime.keyLifecycle.status(f.acme.id);
      assert.notDeepEqual(after, before);

      const actor = { type: 'operator' as const, id: f.owner.id };
      const day = (d: number) =>
        new Date(f.clock.now().getTime() + d * 86_400_000).toISOString().slice(0, 10);
      const vendor = await f.t.runtime.vendors.create(
        f.acme.id,
        {
          name: 'Helpdesk Co',
          purpose: 'ticketing',
          riskTier: 'medium',
          dataCategories: ['phone'],
          region: 'EU',
          transferMechanism: 'none',
          dpaSignedAt: day(-10),
          breachNoticeHours: 24,
          nextReviewAt: day(90),
          owner: 'IT',
        },
        actor,
      );
      const { key } = await f.t.runtime.apiKeys.create(
        f.acme.id,
        vendor.id,
        { label: 'helpdesk', scopes: { contacts: 'read' }, expiresInDays: 30 },
        actor,
      );
      assert.equal((await pb({ playbook: 'revoke_api_key', keyId: key.id })).statusCode, 200);
      assert.equal((await pb({ playbook: 'suspend_vendor', vendorId: vendor.id })).statusCode, 200);
      assert.equal((await f.t.runtime.vendors.current(f.acme.id, vendor.id)).status, 'suspended');
      const keys = await f.t.runtime.database.db
        .selectFrom('vendor_api_keys')
        .select('revoked_at')
        .where('id', '=', key.id)
        .execute();
      assert.ok(keys[0]!.revoked_at);
      const failed = await pb({ playbook: 'revoke_api_key', keyId: 'ak_00000000000000000000000000' });
      assert.equal(failed.statusCode, 404);
      const audited = await f.auditOf({ action: 'incident_playbook', targetId: incidentId });
      assert.deepEqual(audited.map((e) => e.outcome).sort(), [
        'failure',
        'success',
        'success',
        'success',
        'success',
        'success',
      ]);
    });

    test('notices without an approved template for the language are marked for another channel', async () => {
      // Reveals by the suspect put customers in the blast radius; this tenant has no WhatsApp channel.
      await f.assign(f.ids[0]!, agent);
      const r = await asStaff(f.app, agent).post(`/api/v1/contacts/${f.ids[0]}/reveal`, {
        field: 'email',
        reason: 'customer asked for the invoice copy',
      });
      assert.equal(r.statusCode, 200);
      await f.t.runtime.audit.sequence();
      const sent = await owner(f).post(`/api/v1/incidents/${incidentId}/notices`);
      assert.equal(sent.statusCode, 200, sent.body);
      assert.deepEqual(sent.json(), { whatsapp: 0, otherChannel: 1 });
      const notices = (await asStaff(f.app, auditor).get(`/api/v1/incidents/${incidentId}/notices`)).json<{
        notices: Array<{ contactId: string; channel: string }>;
      }>().notices;
      assert.deepEqual(notices, [
        { contactId: f.ids[0], language: 'en_US', channel: 'other_channel', messageId: null, status: null },
      ]);
      const again = await owner(f).post(`/api/v1/incidents/${incidentId}/notices`);
      assert.deepEqual(again.json(), { whatsapp: 0, otherChannel: 0 }, 'each customer is noticed once');
    });
  });
}
