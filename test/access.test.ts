import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { maskPhone } from '../src/features/vault/mask.ts';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

const REASON = 'customer called to confirm the delivery address';

interface Listed {
  contacts: Array<{ id: string; phone: string | null; views: Record<string, string> }>;
}

for (const target of databaseTargets()) {
  describe(`projected contacts, reveals, training and assignments over HTTP (${target.name})`, () => {
    let f: AccessFixture;
    let agent: TestStaff, lapsed: TestStaff, admin: TestStaff;
    const reveal = (who: TestStaff, id: string, body: object, mfa?: 'stale') =>
      asStaff(f.app, who, mfa).post(`/api/v1/contacts/${id}/reveal`, body);

    before(async () => {
      f = await startAccessFixture(target);
      agent = await f.hire('agent');
      lapsed = await f.hire('agent', new Date(f.clock.now().getTime() - 86_400_000));
      admin = await f.hire('admin');
    });
    after(() => f.close());

    test('without an actor every access route answers 401', async () => {
      for (const url of [
        '/api/v1/contacts',
        `/api/v1/contacts/${f.ids[0]}`,
        '/api/v1/break-glass',
        '/api/v1/approvals',
      ]) {
        assert.equal((await asStaff(f.app, null).get(url)).statusCode, 401);
      }
    });

    test('an agent listing contacts sees masked phones; assigned to one customer, sees that one clear', async () => {
      const before = (await asStaff(f.app, agent).get('/api/v1/contacts')).json<Listed>();
      assert.equal(before.contacts.length, f.people.length);
      before.contacts.forEach((c, i) => {
        assert.equal(c.phone, maskPhone(f.people[i]!.phone));
        assert.equal(c.views.phone, 'masked');
      });
      await f.assign(f.ids[0]!, agent);
      const after = (await asStaff(f.app, agent).get('/api/v1/contacts')).json<Listed>();
      assert.equal(after.contacts[0]!.phone, f.people[0]!.phone);
      assert.equal(after.contacts[0]!.views.phone, 'clear');
      assert.equal(after.contacts[0]!.views.email, 'masked');
      for (const c of after.contacts.slice(1)) assert.equal(c.views.phone, 'masked');
      const reads = await f.auditOf({ action: 'sensitive_read', targetId: f.ids[0]!, actorId: agent.id });
      assert.equal(reads.length, 1, 'the clear view is audited');
      assert.deepEqual(reads[0]!.policyIds, ['agent-clear-assigned']);
    });

    test('a listing is paged with a cursor', async () => {
      const first = (await asStaff(f.app, admin).get('/api/v1/contacts?limit=3')).json<
        Listed & { nextCursor: string }
      >();
      assert.equal(first.contacts.length, 3);
      const rest = (
        await asStaff(f.app, admin).get(`/api/v1/contacts?limit=3&cursor=${first.nextCursor}`)
      ).json<Listed & { nextCursor: null }>();
      assert.deepEqual(
        rest.contacts.map((c) => c.id),
        f.ids.slice(3),
      );
      assert.equal(rest.nextCursor, null);
    });

    test('a reveal without a reason, or with a one-word reason, is a 400', async () => {
      assert.equal((await reveal(agent, f.ids[0]!, { field: 'email' })).statusCode, 400);
      assert.equal((await reveal(agent, f.ids[0]!, { field: 'email', reason: 'because' })).statusCode, 400);
    });

    test('every reveal leaves a sensitive_read entry with policy ids, and the reason is not stored in the clear', async () => {
      const res = await reveal(agent, f.ids[0]!, { field: 'email', reason: REASON });
      assert.equal(res.statusCode, 200);
      const body = res.json<{
        value: string;
        visibleForSeconds: number;
        revealsLastHour: number;
        policyIds: string[];
      }>();
      assert.equal(body.value, f.people[0]!.email);
      assert.equal(body.visibleForSeconds, 60);
      assert.equal(body.revealsLastHour, 1);
      assert.deepEqual(body.policyIds, ['agent-reveal-assigned']);
      const entries = await f.auditOf({ action: 'sensitive_read', targetId: f.ids[0]!, actorId: agent.id });
      const entry = entries.find((e) => e.reasonCt !== null);
      assert.ok(entry, 'the reveal is audited with an encrypted reason');
      assert.deepEqual(entry.policyIds, ['agent-reveal-assigned']);
      assert.equal(entry.subjectId, f.ids[0]);
      const bytes =
        target.name === 'sqlite'
          ? sqliteBytes(f.t.dataDir)
          : postgresDump(f.t.env.CHATVAULT_DATABASE_URL!, f.t.env.CHATVAULT_DATABASE_SCHEMA!);
      assert.ok(bytes.includes(Buffer.from('agent-reveal-assigned')));
      assert.ok(!bytes.includes(Buffer.from(REASON)), 'the reason is only stored encrypted');
      const me = (await asStaff(f.app, agent).get('/api/v1/access/me')).json<{ revealsLastHour: number }>();
      assert.equal(me.revealsLastHour, 1);
    });

    test('an unassigned agent may not reveal, and the refusal is audited as authz_fail', async () => {
      assert.equal((await reveal(agent, f.ids[1]!, { field: 'phone', reason: REASON })).statusCode, 403);
      const fails = await f.auditOf({ action: 'authz_fail', actorId: agent.id, targetId: f.ids[1]! });
      assert.equal(fails.length, 1);
      assert.deepEqual(fails[0]!.policyIds, []);
    });

    test('a reveal with a second factor older than five minutes asks for step-up', async () => {
      const res = await reveal(agent, f.ids[0]!, { field: 'phone', reason: REASON }, 'stale');
      assert.equal(res.statusCode, 401);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'step_up_required');
    });

    test('an operator with lapsed training cannot reveal, is told why, and sees assigned customers masked', async () => {
      await f.assign(f.ids[2]!, lapsed);
      const res = await reveal(lapsed, f.ids[2]!, { field: 'phone', reason: REASON });
      assert.equal(res.statusCode, 403);
      const error = res.json<{ error: { code: string; message: string } }>().error;
      assert.equal(error.code, 'training_lapsed');
      assert.match(error.message, /training/);
      const one = (await asStaff(f.app, lapsed).get(`/api/v1/contacts/${f.ids[2]}`)).json<{
        contact: Listed['contacts'][number];
      }>();
      assert.equal(one.contact.views.phone, 'masked');
      const training = { operatorId: lapsed.id, version: '2026.2' };
      const renewed = await asStaff(f.app, f.owner).post('/api/v1/training', {
        ...training,
        kind: 'security_training',
      });
      assert.equal(renewed.statusCode, 201);
      const ack = await asStaff(f.app, lapsed).post('/api/v1/training', { ...training, kind: 'policy_ack' });
      assert.equal(ack.statusCode, 201);
      const status = (await asStaff(f.app, lapsed).get('/api/v1/training')).json<{
        training: { current: boolean };
      }>();
      assert.equal(status.training.current, true);
      assert.equal((await reveal(lapsed, f.ids[2]!, { field: 'phone', reason: REASON })).statusCode, 200);
      const forOther = { operatorId: agent.id, kind: 'security_training', version: 'x' };
      assert.equal((await asStaff(f.app, lapsed).post('/api/v1/training', forOther)).statusCode, 403);
    });

    test('an agent lists only their own assignments; an admin lists all', async () => {
      const mine = (await asStaff(f.app, agent).get('/api/v1/assignments')).json<{
        assignments: Array<{ operatorId: string }>;
      }>();
      assert.ok(mine.assignments.length > 0 && mine.assignments.every((a) => a.operatorId === agent.id));
      const all = (await asStaff(f.app, admin).get('/api/v1/assignments')).json<{ assignments: unknown[] }>();
      assert.ok(all.assignments.length > mine.assignments.length);
      const self = { contactId: f.ids[3], operatorId: agent.id };
      assert.equal((await asStaff(f.app, agent).post('/api/v1/assignments', self)).statusCode, 403);
      assert.equal(
        (await asStaff(f.app, f.owner).delete(`/api/v1/assignments/${f.ids[3]}/${agent.id}`)).statusCode,
        404,
      );
      assert.equal(
        (await asStaff(f.app, f.owner).delete(`/api/v1/assignments/${f.ids[0]}/${agent.id}`)).statusCode,
        204,
      );
      const listed = (await asStaff(f.app, agent).get('/api/v1/contacts')).json<Listed>();
      assert.equal(listed.contacts[0]!.views.phone, 'masked', 'unassigning applies at once');
    });
  });
}
