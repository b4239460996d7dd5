import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

const REASON = 'customer called to confirm the delivery address';

for (const target of databaseTargets()) {
  describe(`break-glass, four-eyes approvals and tenant policies over HTTP (${target.name})`, () => {
    let f: AccessFixture;
    let agent: TestStaff, admin: TestStaff, owner2: TestStaff;

    before(async () => {
      f = await startAccessFixture(target);
      agent = await f.hire('agent');
      admin = await f.hire('admin');
      owner2 = await f.hire('owner');
    });
    after(() => f.close());

    test('a break-glass grant lets an admin reveal until it expires, and owners see it', async () => {
      const reveal = () =>
        asStaff(f.app, admin).post(`/api/v1/contacts/${f.ids[1]}/reveal`, { field: 'phone', reason: REASON });
      const glass = (body: object) => asStaff(f.app, admin).post('/api/v1/break-glass', body);
      assert.equal((await reveal()).statusCode, 403);
      assert.equal((await glass({ reason: 'x', minutes: 30 })).statusCode, 400);
      assert.equal((await glass({ reason: REASON, minutes: 600 })).statusCode, 400, 'at most four hours');
      assert.equal(
        (await asStaff(f.app, admin, 'stale').post('/api/v1/break-glass', { reason: REASON })).statusCode,
        401,
      );
      assert.equal(
        (await glass({ reason: 'incident 42 needs the customer record', minutes: 30 })).statusCode,
        201,
      );
      const opened = await reveal();
      assert.equal(opened.statusCode, 200);
      assert.deepEqual(opened.json<{ policyIds: string[] }>().policyIds, ['admin-break-glass-active']);
      const seen = (await asStaff(f.app, f.owner).get('/api/v1/break-glass')).json<{
        grants: Array<{ operatorId: string; active: boolean; reason: string }>;
      }>();
      assert.equal(seen.grants[0]!.operatorId, admin.id);
      assert.equal(seen.grants[0]!.active, true);
      assert.equal(seen.grants[0]!.reason, 'incident 42 needs the customer record');
      assert.equal(
        (await asStaff(f.app, agent).get('/api/v1/break-glass')).json<{ grants: unknown[] }>().grants.length,
        0,
      );
      f.clock.advance(31 * 60_000);
      assert.equal((await reveal()).statusCode, 403, 'the grant expired by itself');
      const again = await glass({ reason: 'incident 43 needs the customer record', minutes: 60 });
      const id = again.json<{ grant: { id: string } }>().grant.id;
      assert.equal((await reveal()).statusCode, 200);
      assert.equal((await asStaff(f.app, agent).post(`/api/v1/break-glass/${id}/revoke`)).statusCode, 403);
      assert.equal((await asStaff(f.app, f.owner).post(`/api/v1/break-glass/${id}/revoke`)).statusCode, 200);
      assert.equal((await reveal()).statusCode, 403, 'a revoked grant stops at once');
      assert.equal((await f.auditOf({ action: 'authz_break_glass' })).length, 3);
    });

    test('four eyes: the requester cannot approve their own export; a second owner can, once, within 24 h', async () => {
      const request = (who: TestStaff) =>
        asStaff(f.app, who).post('/api/v1/approvals', {
          kind: 'contacts_export',
          payloadRef: 'export:all',
          reason: 'quarterly export for the auditor',
        });
      const approve = (who: TestStaff, id: string) =>
        asStaff(f.app, who).post(`/api/v1/approvals/${id}/approve`);
      const mine = (await request(f.owner)).json<{ request: { id: string; status: string } }>().request;
      assert.equal(mine.status, 'pending');
      const own = await approve(f.owner, mine.id);
      assert.equal(own.statusCode, 403);
      assert.match(own.json<{ error: { message: string } }>().error.message, /second person/);
      assert.equal((await approve(admin, mine.id)).statusCode, 403);
      assert.equal((await request(agent)).statusCode, 403);
      const approved = await approve(owner2, mine.id);
      assert.equal(approved.statusCode, 200);
      assert.equal(approved.json<{ request: { decidedBy: string } }>().request.decidedBy, owner2.id);
      assert.equal((await approve(owner2, mine.id)).statusCode, 409);
      const run = (id: string) =>
        f.t.runtime.database.db.transaction().execute((trx) =>
          f.t.runtime.access.approvals.runApproved(trx, f.acme.id, id, {
            kind: 'contacts_export',
            payloadRef: 'export:all',
          }),
        );
      await run(mine.id);
      await assert.rejects(run(mine.id), /already run/);
      const late = (await request(admin)).json<{ request: { id: string } }>().request;
      f.clock.advance(25 * 3_600_000);
      assert.equal((await approve(f.owner, late.id)).statusCode, 409);
      const listed = (await asStaff(f.app, f.owner).get('/api/v1/approvals')).json<{
        requests: Array<{ id: string; status: string }>;
      }>();
      assert.equal(listed.requests.find((r) => r.id === late.id)!.status, 'expired');
      const withdrawn = (await request(admin)).json<{ request: { id: string } }>().request;
      assert.equal(
        (await asStaff(f.app, admin).post(`/api/v1/approvals/${withdrawn.id}/reject`)).statusCode,
        200,
      );
    });

    test('tenant policies are validated, versioned, audited, and apply at once', async () => {
      await f.assign(f.ids[0]!, agent);
      const add = (who: TestStaff, body: object) => asStaff(f.app, who).post('/api/v1/access/policies', body);
      const text =
        'forbid (principal in Role::"agent", action == Action::"readClear", resource) when { context.field == "phone" };';
      const bad = await add(f.owner, {
        description: 'typo',
        text: 'permit (principal, action, resource) when { resource.nope };',
      });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json<{ error: { message: string } }>().error.message, /Invalid policy/);
      assert.equal((await add(admin, { description: 'x', text })).statusCode, 403);
      const phoneView = async () =>
        (await asStaff(f.app, agent).get(`/api/v1/contacts/${f.ids[0]}`)).json<{
          contact: { views: { phone: string } };
        }>().contact.views.phone;
      assert.equal(await phoneView(), 'clear');
      const added = await add(f.owner, { description: 'agents never see phones', text });
      assert.equal(added.statusCode, 201);
      const policy = added.json<{ policy: { id: string; addedInVersion: number } }>().policy;
      assert.equal(await phoneView(), 'masked');
      assert.equal(
        (await asStaff(f.app, f.owner).post(`/api/v1/access/policies/${policy.id}/disable`)).statusCode,
        200,
      );
      assert.equal(await phoneView(), 'clear');
      const listed = (await asStaff(f.app, admin).get('/api/v1/access/policies')).json<{
        version: number;
        policies: Array<{ status: string }>;
      }>();
      assert.equal(listed.version, policy.addedInVersion + 1);
      assert.equal(listed.policies[0]!.status, 'disabled');
      assert.equal((await f.auditOf({ action: 'policy_change' })).length, 2);
    });

    test('canary customers carry their flag into decisions, so tenant policies can hide them', async () => {
      await f.t.runtime.access.markCanary(f.acme.id, f.ids[3]!);
      const text =
        'forbid (principal, action in [Action::"readMasked", Action::"readClear"], resource) when { resource.canary };';
      const added = await asStaff(f.app, f.owner).post('/api/v1/access/policies', {
        description: 'hide canaries',
        text,
      });
      assert.equal(added.statusCode, 201);
      const listed = (await asStaff(f.app, admin).get('/api/v1/contacts')).json<{
        contacts: Array<{ id: string; phone: string | null; views: { phone: string } }>;
      }>();
      const canary = listed.contacts.find((c) => c.id === f.ids[3])!;
      assert.deepEqual([canary.phone, canary.views.phone], [null, 'withheld']);
      assert.ok(listed.contacts.filter((c) => c.id !== f.ids[3]).every((c) => c.views.phone === 'masked'));
    });
  });
}
