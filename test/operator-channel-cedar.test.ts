import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { databaseTargets } from './support/targets.ts';

/**
 * Operator lifecycle (auth/admin.routes.ts) and channel management (channels/) decide through Cedar:
 * `manageOperators` (plus `manageOwners` for an owner) and `manageChannels`, so the default roles
 * keep their permissions and a tenant policy changes them like any other action.
 */
for (const target of databaseTargets()) {
  describe(`operator and channel administration decide through Cedar (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff;
    let otherOwner: TestStaff;
    let agent: TestStaff;
    let marketer: TestStaff;

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
      otherOwner = await f.hire('owner');
      agent = await f.hire('agent');
      marketer = await f.hire('marketer');
    });
    after(() => f.close());

    test('admins manage operators but not owners (manageOwners); owners manage owners; others get 403', async () => {
      const revoke = (who: TestStaff, of: TestStaff) =>
        asStaff(f.app, who).post(`/api/v1/operators/${of.id}/sessions/revoke`);
      assert.equal((await revoke(admin, agent)).statusCode, 200);
      assert.equal((await revoke(admin, otherOwner)).statusCode, 403);
      assert.equal(
        (await asStaff(f.app, admin).post(`/api/v1/operators/${otherOwner.id}/unlock`)).statusCode,
        403,
      );
      assert.equal((await revoke(f.owner, otherOwner)).statusCode, 200);
      assert.equal((await revoke(agent, marketer)).statusCode, 403);
      assert.equal((await revoke(marketer, agent)).statusCode, 403);
      const denied = await f.auditOf({ action: 'authz_fail', actorId: admin.id });
      assert.equal(denied.length, 2, 'both denials are recorded as authz_fail');
      for (const who of [admin, f.owner]) {
        assert.equal((await asStaff(f.app, who).get('/api/v1/auth/settings')).statusCode, 200);
        assert.equal((await asStaff(f.app, who).get('/api/v1/channels')).statusCode, 200);
      }
      for (const who of [agent, marketer]) {
        assert.equal((await asStaff(f.app, who).get('/api/v1/auth/settings')).statusCode, 403);
        assert.equal((await asStaff(f.app, who).get('/api/v1/channels')).statusCode, 403);
      }
    });

    test('a tenant policy grants or forbids them like any other action', async () => {
      const add = async (text: string) => {
        const res = await asStaff(f.app, f.owner).post('/api/v1/access/policies', {
          description: 'operator and channel administration test',
          text,
        });
        assert.equal(res.statusCode, 201, res.body);
      };
      await add('permit (principal in Role::"marketer", action == Action::"manageChannels", resource);');
      assert.equal((await asStaff(f.app, marketer).get('/api/v1/channels')).statusCode, 200);
      assert.equal((await asStaff(f.app, agent).get('/api/v1/channels')).statusCode, 403);

      await add(
        'forbid (principal, action == Action::"manageOperators", resource) when { principal.role == "admin" };',
      );
      assert.equal((await asStaff(f.app, admin).get('/api/v1/auth/settings')).statusCode, 403);
      assert.equal(
        (await asStaff(f.app, admin).post(`/api/v1/operators/${agent.id}/sessions/revoke`)).statusCode,
        403,
      );
      assert.equal((await asStaff(f.app, f.owner).get('/api/v1/auth/settings')).statusCode, 200);
    });
  });
}
