import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testOperator } from './support/actors.ts';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

interface Notice {
  contactId: string;
  language: string;
  channel: string;
  messageId: string | null;
  status: string | null;
}

for (const target of databaseTargets()) {
  describe(`breach notices when an affected customer was erased since (${target.name})`, () => {
    let f: AccessFixture;
    let agent: TestStaff, auditor: TestStaff;

    before(async () => {
      f = await startAccessFixture(target);
      agent = await f.hire('agent');
      auditor = await f.hire('auditor');
    });
    after(() => f.close());

    test('the erased customer still counts in the blast radius and is marked for another channel; the others are noticed', async () => {
      const from = f.clock.now().toISOString();
      f.clock.advance(1000);
      for (const id of f.ids.slice(0, 3)) {
        await f.assign(id, agent);
        const r = await asStaff(f.app, agent).post(`/api/v1/contacts/${id}/reveal`, {
          field: 'phone',
          reason: 'customer asked for a call back',
        });
        assert.equal(r.statusCode, 200, r.body);
      }
      await f.t.runtime.audit.sequence();
      const opened = await asStaff(f.app, f.owner).post('/api/v1/incidents', {
        title: 'Agent account used from an unknown device',
        suspect: { type: 'operator', id: agent.id },
        from,
      });
      assert.equal(opened.statusCode, 201, opened.body);
      const incidentId = opened.json<{ incident: { id: string } }>().incident.id;
      // The customer asked for erasure before the breach was noticed: their key and data are gone.
      const erased = f.ids[1]!;
      await f.t.runtime.erasure.erase(f.acme.id, erased, { actor: testOperator, origin: 'request' });
      await f.t.runtime.erasure.purgePending();

      const blast = (await asStaff(f.app, auditor).get(`/api/v1/incidents/${incidentId}/blast-radius`)).json<{
        customers: Array<{ contactId: string; records: number }>;
      }>();
      assert.deepEqual(
        blast.customers.map((c) => c.contactId),
        [...f.ids.slice(0, 3)].sort(),
      );
      const sent = await asStaff(f.app, f.owner).post(`/api/v1/incidents/${incidentId}/notices`);
      assert.equal(sent.statusCode, 200, sent.body);
      assert.deepEqual(sent.json(), { whatsapp: 0, otherChannel: 3 });
      const notices = (await asStaff(f.app, auditor).get(`/api/v1/incidents/${incidentId}/notices`)).json<{
        notices: Notice[];
      }>().notices;
      assert.deepEqual(
        notices.map((n) => [n.contactId, n.channel]),
        [...f.ids.slice(0, 3)].sort().map((id) => [id, 'other_channel']),
      );
      const again = await asStaff(f.app, f.owner).post(`/api/v1/incidents/${incidentId}/notices`);
      assert.deepEqual(again.json(), { whatsapp: 0, otherChannel: 0 });
    });
  });
}
