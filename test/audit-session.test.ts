import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { AuditEntryJson } from '../src/features/audit/entry-json.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { newId } from '../src/lib/ids.ts';
import { enrollWithTotp, expectStatus, invite, manualClock, signIn, type Client } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'a long and unguessable pass phrase';
const REASON = 'checking the delivery address for an order';

interface Blast {
  customers: Array<{ contactId: string; records: number }>;
  query: Record<string, string>;
}

for (const target of databaseTargets()) {
  describe(`audit entries name their sign-in session; blast radius by session (${target.name})`, () => {
    const clock = manualClock();
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;
    let owner: Client, auditor: Client, morning: Client, evening: Client;
    let adminId: string;
    let customers: string[];
    const sessionOf = new Map<Client, string>();

    /** Current security training and policy acknowledgement, as reveals require. */
    async function train(operatorId: string) {
      for (const kind of ['security_training', 'policy_ack'] as const)
        await t.runtime.database.db
          .insertInto('training_records')
          .values({
            id: newId('tr'),
            tenant_id: tenant.id,
            operator_id: operatorId,
            kind,
            version: '2026.1',
            completed_at: clock.now().toISOString(),
            expires_at: new Date(clock.now().getTime() + 365 * 86_400_000).toISOString(),
            evidence_ref: null,
            recorded_by: 'op_setup',
            created_at: clock.now().toISOString(),
          })
          .execute();
    }

    const entries = async (query: string) => {
      await t.runtime.audit.sequence();
      const res = await auditor.get(`/api/v1/audit/entries?limit=500&${query}`);
      expectStatus(res, 200);
      return res.json<{ entries: AuditEntryJson[] }>().entries;
    };

    before(async () => {
      t = await startTestRuntime(target, { clock });
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      app = buildApp(t.runtime);
      const seeds: Record<string, Buffer> = {};
      for (const role of ['owner', 'auditor', 'admin'] as const) {
        const email = `${role}@shop.example`;
        const { token, operator } = await invite(t.runtime, tenant, email, role);
        seeds[role] = (await enrollWithTotp(app, clock, token, PASSWORD)).seed;
        await train(operator.id);
        if (role === 'admin') adminId = operator.id;
      }
      const who = (role: string) => ({
        tenant: 'shop',
        email: `${role}@shop.example`,
        password: PASSWORD,
        seed: seeds[role]!,
      });
      owner = await signIn(app, clock, who('owner'));
      auditor = await signIn(app, clock, who('auditor'));
      // The same admin, signed in twice: two sessions, two sets of customers.
      morning = await signIn(app, clock, who('admin'));
      evening = await signIn(app, clock, who('admin'), '198.51.100.9');
      const created = await t.runtime.contacts.createMany(
        tenant,
        Array.from({ length: 7 }, (_, i) => ({
          waId: `4915200000${100 + i}`,
          phone: `+4915200000${100 + i}`,
        })),
        { type: 'system', id: 'test-import' },
      );
      customers = created.map((c) => c.id);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('entries of a signed-in request carry the public session id, never the session secret', async () => {
      for (const c of [morning, evening]) {
        const res = await c.post('/api/v1/break-glass', { reason: REASON, minutes: 60 });
        assert.equal(res.statusCode, 201, res.body);
      }
      const reveal = async (c: Client, contactId: string) => {
        const res = await c.post(`/api/v1/contacts/${contactId}/reveal`, { field: 'phone', reason: REASON });
        assert.equal(res.statusCode, 200, res.body);
      };
      // The morning session reads customers 0–3, the evening one 3–6: customer 3 is in both.
      for (const id of customers.slice(0, 4)) await reveal(morning, id);
      for (const id of customers.slice(3)) await reveal(evening, id);

      const reads = await entries(`action=sensitive_read&actorId=${adminId}&order=asc`);
      assert.equal(reads.length, 8);
      const sessions = [...new Set(reads.map((e) => e.sessionId))];
      assert.equal(sessions.length, 2, 'two distinct sessions');
      assert.ok(sessions.every((s) => typeof s === 'string' && s.length > 0));
      sessionOf.set(morning, reads[0]!.sessionId!);
      sessionOf.set(evening, reads.at(-1)!.sessionId!);
      // It is the sessions table's public id…
      const rows = await t.runtime.database.db
        .selectFrom('auth_sessions')
        .select(['id'])
        .where('operator_id', '=', adminId)
        .execute();
      for (const s of sessions) assert.ok(rows.some((r) => r.id === s));
      // …and no cookie value (the session secret, or anything resuming it) is stored in the log.
      const stored = await t.runtime.database.db
        .selectFrom('audit_entries')
        .select(['session_id', 'request_id', 'actor_id', 'target_id'])
        .where('tenant_id', '=', tenant.id)
        .execute();
      const dump = JSON.stringify(stored);
      for (const c of [owner, auditor, morning, evening])
        for (const value of c.cookies.values())
          assert.ok(!dump.includes(value), 'a cookie value is in the log');
      // The auditor's API filters by session.
      const morningReads = await entries(`action=sensitive_read&sessionId=${sessionOf.get(morning)!}`);
      assert.deepEqual(morningReads.map((e) => e.target.id).sort(), customers.slice(0, 4).sort());
      // Other entries of the signed-in requests (the break-glass grant) carry it too.
      const grants = (await entries(`actorId=${adminId}`)).filter((e) => e.action !== 'sensitive_read');
      assert.ok(grants.some((e) => e.sessionId === sessionOf.get(evening)));
    });

    test('entries outside a signed-in request have no session, and the mixed chain verifies', async () => {
      await t.runtime.database.db.transaction().execute((trx) =>
        t.runtime.audit.append(trx, {
          tenantId: tenant.id,
          actor: { type: 'system', id: 'test' },
          action: 'policy_change',
          target: { type: 'system', id: 'test' },
          outcome: 'success',
          requestId: newId('rq'),
        }),
      );
      const all = await entries('order=asc');
      assert.ok(all.some((e) => e.sessionId === null) && all.some((e) => e.sessionId !== null));
      await t.runtime.audit.sequence({ forceCheckpoint: true });
      const verified = await t.runtime.audit.verify(tenant.id);
      assert.equal(verified.ok, true, JSON.stringify(verified.problem));
    });

    test('the session is covered by the hash chain: moving an entry to another session is detected', async () => {
      const read = (await entries(`action=sensitive_read&sessionId=${sessionOf.get(evening)!}`))[0]!;
      const db = t.runtime.database.db;
      await db
        .updateTable('audit_entries')
        .set({ session_id: sessionOf.get(morning)! })
        .where('id', '=', read.id)
        .execute();
      const broken = await t.runtime.audit.verify(tenant.id);
      assert.equal(broken.ok, false);
      await db.updateTable('audit_entries').set({ session_id: null }).where('id', '=', read.id).execute();
      assert.equal(
        (await t.runtime.audit.verify(tenant.id)).ok,
        false,
        'erasing the session is detected too',
      );
      await db
        .updateTable('audit_entries')
        .set({ session_id: sessionOf.get(evening)! })
        .where('id', '=', read.id)
        .execute();
      assert.equal((await t.runtime.audit.verify(tenant.id)).ok, true);
    });

    test('blast radius by session: exactly the customers read in that session, not in the same operator’s other one', async () => {
      const from = new Date(clock.now().getTime() - 86_400_000).toISOString();
      const opened = await owner.post('/api/v1/incidents', {
        title: 'Stolen session cookie',
        severity: 'high',
        suspect: { type: 'session', id: sessionOf.get(morning)! },
        from,
      });
      assert.equal(opened.statusCode, 201, opened.body);
      const incidentId = opened.json<{ incident: { id: string } }>().incident.id;
      const ids = (b: Blast) => b.customers.map((c) => c.contactId).sort();

      const bySession = await owner.get(`/api/v1/incidents/${incidentId}/blast-radius`);
      expectStatus(bySession, 200);
      assert.deepEqual(ids(bySession.json<Blast>()), customers.slice(0, 4).sort());
      assert.equal(bySession.json<Blast>().query.sessionId, sessionOf.get(morning));

      const other = await owner.get(
        `/api/v1/incidents/${incidentId}/blast-radius?suspectType=session&suspectId=${sessionOf.get(evening)!}`,
      );
      expectStatus(other, 200);
      assert.deepEqual(ids(other.json<Blast>()), customers.slice(3).sort());

      const byOperator = await owner.get(
        `/api/v1/incidents/${incidentId}/blast-radius?suspectType=operator&suspectId=${adminId}`,
      );
      assert.deepEqual(ids(byOperator.json<Blast>()), [...customers].sort());
      const shared = byOperator.json<Blast>().customers.find((c) => c.contactId === customers[3]);
      assert.equal(shared?.records, 2);

      const csv = await owner.get(`/api/v1/incidents/${incidentId}/blast-radius?format=csv`);
      expectStatus(csv, 200);
      assert.equal(csv.body.trim().split('\n').length, 1 + 4);

      const unknown = await owner.get(
        `/api/v1/incidents/${incidentId}/blast-radius?suspectType=session&suspectId=se_nobody`,
      );
      expectStatus(unknown, 200);
      assert.deepEqual(unknown.json<Blast>().customers, []);
    });
  });
}
