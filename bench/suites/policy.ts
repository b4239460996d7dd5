// Access decisions: one uncached Cedar decision (the policy decision point as every request uses it),
// and listing 50 contacts × 4 fields for an agent through the whole access path (decision session,
// page read, decryption, projection, audit of the clear values) beside the same listing without
// decisions (page read, decryption, masking). Both listings run in alternating slices, SQLite.
import { createDecisionSession } from '../../src/features/access/decisions.ts';
import { DEFAULT_POLICIES } from '../../src/features/access/default-policies.ts';
import { contactEntity } from '../../src/features/access/entities.ts';
import { createPdp } from '../../src/features/access/pdp.ts';
import { projectContact } from '../../src/features/access/projection.ts';
import { maskContact } from '../../src/features/contacts/contacts.service.ts';
import { fakeCustomers } from '../../src/features/demo/fake-customers.ts';
import type { Actor } from '../../src/http/actor.ts';
import { newId } from '../../src/lib/ids.ts';
import { alternate, percentile } from '../lib/timing.ts';
import type { BenchSuite } from '../lib/suite.ts';
import { startBenchRuntime } from '../lib/bench-runtime.ts';

const DECISIONS = 20_000;
const LIST_BUDGET_MS = 8_000;
const NOW = Math.floor(Date.now() / 1000);

function decisionLatencies(): number[] {
  const pdp = createPdp();
  const set = pdp.load('bench', 0, DEFAULT_POLICIES);
  const tenantId = newId('tn');
  const me = newId('op');
  const others = [newId('op'), newId('op')];
  const principal = {
    tenantId,
    operatorId: me,
    role: 'agent' as const,
    trainingExpiresAt: NOW + 3600,
    lastMfaAt: NOW - 10,
    breakGlassUntil: 0,
  };
  const latencies: number[] = [];
  for (let i = 0; i < DECISIONS + 2000; i++) {
    // A fresh session per call: nothing is reused, every call evaluates in Cedar.
    const session = createDecisionSession({ pdp, set, principal, nowSeconds: NOW });
    const resource = contactEntity({
      tenantId,
      contactId: `ct_${i}`,
      assignedOperators: i % 3 ? [others[i % 2]!] : [me],
      canary: false,
    });
    const start = performance.now();
    session.decide('readClear', resource, { field: 'phone' });
    const elapsed = performance.now() - start;
    if (i >= 2000) latencies.push(elapsed);
  }
  return latencies;
}

const suite: BenchSuite = {
  name: 'policy',
  baselines: { 'policy.list50_p50_ms': ['policy.list50_unprotected_p50_ms'] },
  async run() {
    const decisions = decisionLatencies();
    const { runtime, close } = await startBenchRuntime('policy');
    try {
      const db = runtime.database.db;
      const tenant = await runtime.tenants.create({ slug: 'bench', name: 'Bench' });
      const system = { type: 'system', id: 'bench' } as const;
      const contacts = await runtime.contacts.createMany(tenant, fakeCustomers(50, 7), system);
      const operator = await db
        .transaction()
        .execute((trx) =>
          runtime.operators.create(trx, tenant, { email: 'agent@example.com', role: 'agent' }),
        );
      for (const kind of ['security_training', 'policy_ack'] as const)
        await db
          .insertInto('training_records')
          .values({
            id: newId('tr'),
            tenant_id: tenant.id,
            operator_id: operator.id,
            kind,
            version: '1',
            completed_at: new Date().toISOString(),
            expires_at: new Date(Date.now() + 86_400_000).toISOString(),
            evidence_ref: null,
            recorded_by: 'bench',
            created_at: new Date().toISOString(),
          })
          .execute();
      // The agent works 5 of the 50 customers: those come back with phone and name in clear.
      for (const c of contacts.slice(0, 5))
        await db
          .insertInto('access_assignments')
          .values({
            tenant_id: tenant.id,
            contact_id: c.id,
            operator_id: operator.id,
            assigned_by: 'bench',
            assigned_at: new Date().toISOString(),
          })
          .execute();
      const actor: Actor = {
        type: 'operator',
        tenantId: tenant.id,
        id: operator.id,
        role: 'agent',
        mfaVerifiedAt: new Date().toISOString(),
        ip: '127.0.0.1',
        requestId: newId('rq'),
      };

      // Decision cost of one listing alone: a fresh session over 50 already-decrypted contacts.
      const opened = await runtime.contacts.openPage(tenant, { limit: 50 });
      const projectOnce = async () => {
        const session = await runtime.access.session(actor);
        const facts = { tenantId: tenant.id, assignedOperators: [] as string[], canary: false };
        for (const o of opened)
          projectContact(session, o.contact, {
            ...facts,
            contactId: o.contact.id,
            assignedOperators: contacts.slice(0, 5).some((c) => c.id === o.contact.id) ? [operator.id] : [],
          });
        return session.cedarCalls();
      };
      const calls = await projectOnce();

      const list: number[] = [];
      const plain: number[] = [];
      await alternate(LIST_BUDGET_MS, {
        protected: async () => {
          const start = performance.now();
          const page = await runtime.access.directory.list(await runtime.access.session(actor), tenant, {
            limit: 50,
          });
          list.push(performance.now() - start);
          if (page.contacts.length !== 50) throw new Error('the listing lost contacts');
          return 1;
        },
        unprotected: async () => {
          const start = performance.now();
          const page = (await runtime.contacts.openPage(tenant, { limit: 50 })).map((o) =>
            maskContact(o.contact),
          );
          plain.push(performance.now() - start);
          if (page.length !== 50) throw new Error('the listing lost contacts');
          return 1;
        },
      });
      return {
        'policy.decision_p50_ms': percentile(decisions, 50),
        'policy.decision_p99_ms': percentile(decisions, 99),
        'policy.list50_p50_ms': percentile(list, 50),
        'policy.list50_p99_ms': percentile(list, 99),
        'policy.list50_unprotected_p50_ms': percentile(plain, 50),
        'policy.list50_cedar_calls': calls,
      };
    } finally {
      await close();
    }
  },
};

export default suite;
