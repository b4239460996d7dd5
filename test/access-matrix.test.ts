import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import type { OperatorRole } from '../src/features/operators/operators.table.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { asStaff, createStaff, installTestActors, testClock, type TestStaff } from './support/access.ts';
import { testOperator } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const ROLES: OperatorRole[] = ['agent', 'marketer', 'admin', 'auditor', 'owner'];
const REASON = 'customer asked us to check the record';
type Situation = 'assigned' | 'unassigned' | 'otherTenant';
const SITUATIONS: Situation[] = ['assigned', 'unassigned', 'otherTenant'];

/** Expected HTTP status per route, role and situation. Another tenant's record is always 404. */
const EXPECTED: Record<string, (role: OperatorRole, s: Situation) => number> = {
  'GET /contacts/:id': (role, s) => (s === 'otherTenant' ? 404 : role === 'auditor' ? 403 : 200),
  'POST /contacts/:id/reveal': (role, s) =>
    s === 'otherTenant' ? 404 : s === 'assigned' && role === 'agent' ? 200 : 403,
  'POST /approvals/:id/approve': (role, s) =>
    s === 'otherTenant' ? 404 : s === 'unassigned' && role === 'owner' ? 200 : 403,
  // Only admins and owners can hold a grant ("assigned" = their own); owners revoke anyone's.
  'POST /break-glass/:id/revoke': (role, s) =>
    s === 'otherTenant' ? 404 : role === 'owner' || (s === 'assigned' && role === 'admin') ? 200 : 403,
};

for (const target of databaseTargets()) {
  describe(`the authorization matrix over HTTP (${target.name})`, () => {
    const clock = testClock();
    const staff = new Map<string, TestStaff>();
    let t: TestRuntime;
    let app: FastifyInstance;
    let acme: Tenant;
    let globex: Tenant;
    const by = {} as Record<OperatorRole, TestStaff>;
    const assignedTo = {} as Record<OperatorRole, string>;
    let unassigned: string;
    let foreign: { contact: string; request: string; grant: string };
    let acmeOwner2: TestStaff;

    const hire = async (tenant: Tenant, role: OperatorRole) => {
      const s = await createStaff(t.runtime, tenant, role);
      staff.set(s.id, s);
      return s;
    };
    /** A fresh pending request or live grant for the situation (own one, someone else's, other tenant's). */
    async function subject(route: string, role: OperatorRole, s: Situation): Promise<string> {
      if (route.includes('contacts'))
        return s === 'otherTenant' ? foreign.contact : s === 'assigned' ? assignedTo[role] : unassigned;
      if (s === 'otherTenant') return route.includes('approvals') ? foreign.request : foreign.grant;
      const maker =
        s === 'assigned' && role !== 'agent' && role !== 'marketer' && role !== 'auditor'
          ? by[role]
          : acmeOwner2;
      if (route.includes('approvals')) {
        const res = await asStaff(app, maker).post('/api/v1/approvals', {
          kind: 'key_destroy',
          payloadRef: 'data:1',
          reason: REASON,
        });
        return res.json<{ request: { id: string } }>().request.id;
      }
      const res = await asStaff(app, maker).post('/api/v1/break-glass', { reason: REASON, minutes: 10 });
      return res.json<{ grant: { id: string } }>().grant.id;
    }

    before(async () => {
      t = await startTestRuntime(target, { clock });
      app = buildApp(t.runtime);
      installTestActors(app, clock, staff);
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      globex = await t.runtime.tenants.create({ slug: 'globex', name: 'Globex' });
      const contacts = await t.runtime.contacts.createMany(acme, fakeCustomers(6, 5), testOperator);
      const [other] = await t.runtime.contacts.createMany(globex, fakeCustomers(1, 6), testOperator);
      acmeOwner2 = await hire(acme, 'owner');
      for (const [i, role] of ROLES.entries()) {
        by[role] = await hire(acme, role);
        assignedTo[role] = contacts[i]!.id;
        const res = await asStaff(app, acmeOwner2).post('/api/v1/assignments', {
          contactId: contacts[i]!.id,
          operatorId: by[role].id,
        });
        assert.equal(res.statusCode, 204);
      }
      unassigned = contacts[5]!.id;
      const globexOwner = await hire(globex, 'owner');
      const globexAdmin = await hire(globex, 'admin');
      const request = await asStaff(app, globexAdmin).post('/api/v1/approvals', {
        kind: 'contacts_export',
        payloadRef: 'all',
        reason: REASON,
      });
      const grant = await asStaff(app, globexOwner).post('/api/v1/break-glass', {
        reason: REASON,
        minutes: 10,
      });
      foreign = {
        contact: other!.id,
        request: request.json<{ request: { id: string } }>().request.id,
        grant: grant.json<{ grant: { id: string } }>().grant.id,
      };
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('every role × route × (assigned or own / not assigned / other tenant) answers as the role table says', async () => {
      const wrong: string[] = [];
      for (const [route, expected] of Object.entries(EXPECTED)) {
        const [method, path] = route.split(' ') as ['GET' | 'POST', string];
        for (const role of ROLES) {
          for (const s of SITUATIONS) {
            const url = `/api/v1${path.replace(':id', await subject(route, role, s))}`;
            const client = asStaff(app, by[role]);
            const res =
              method === 'GET'
                ? await client.get(url)
                : await client.post(url, { field: 'phone', reason: REASON });
            if (res.statusCode !== expected(role, s))
              wrong.push(`${role} ${route} ${s}: ${res.statusCode} ≠ ${expected(role, s)}`);
          }
        }
      }
      assert.deepEqual(wrong, []);
    });

    test('the contact list is open to staff who may see masked contacts, not to auditors', async () => {
      for (const role of ROLES) {
        const res = await asStaff(app, by[role]).get('/api/v1/contacts');
        assert.equal(res.statusCode, role === 'auditor' ? 403 : 200, role);
        if (res.statusCode === 200)
          assert.ok(
            res.json<{ contacts: Array<{ id: string }> }>().contacts.every((c) => c.id !== foreign.contact),
          );
      }
    });
  });
}
