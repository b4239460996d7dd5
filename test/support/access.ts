import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { AuditAction } from '../../src/features/audit/audit.schema.ts';
import { fakeCustomers } from '../../src/features/demo/fake-customers.ts';
import type { Actor } from '../../src/http/actor.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import type { OperatorRole } from '../../src/features/operators/operators.table.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import type { Runtime } from '../../src/runtime.ts';
import { testOperator } from './actors.ts';
import { startTestRuntime, type TestRuntime } from './runtime.ts';
import type { DbTarget } from './targets.ts';

/** A clock tests move by hand. */
export function testClock(start = Date.now()) {
  let now = start;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
  return clock;
}

export interface TestStaff {
  readonly id: string;
  readonly tenantId: string;
  readonly role: OperatorRole;
}

/**
 * Stands in for operator sign-in (issue 4): `x-test-operator` names a staff member created with
 * {@link createStaff}; `x-test-mfa: stale | none` makes their second factor old or absent (fresh otherwise).
 */
export function installTestActors(app: FastifyInstance, clock: Clock, staff: Map<string, TestStaff>): void {
  app.addHook('onRequest', async (request) => {
    const id = request.headers['x-test-operator'];
    const who = typeof id === 'string' ? staff.get(id) : undefined;
    if (!who) return;
    const mfa = request.headers['x-test-mfa'];
    const now = clock.now().getTime();
    const actor: Actor = {
      type: 'operator',
      tenantId: who.tenantId,
      id: who.id,
      role: who.role,
      ip: '127.0.0.1',
      requestId: request.id,
      ...(mfa === 'none'
        ? {}
        : { mfaVerifiedAt: new Date(mfa === 'stale' ? now - 10 * 60_000 : now).toISOString() }),
    };
    request.actor = actor;
    return Promise.resolve();
  });
}

/** Creates an active-enough operator with current security training and policy acknowledgement. */
export async function createStaff(
  runtime: Runtime,
  tenant: Tenant,
  role: OperatorRole,
  options: { trainedUntil?: Date } = {},
): Promise<TestStaff> {
  const db = runtime.database.db;
  const email = `${role}.${newId('x').slice(2)}@example.com`;
  const operator = await db
    .transaction()
    .execute((trx) => runtime.operators.create(trx, tenant, { email, role }));
  const until = (
    options.trainedUntil ?? new Date(runtime.clock.now().getTime() + 365 * 86_400_000)
  ).toISOString();
  for (const kind of ['security_training', 'policy_ack'] as const) {
    await db
      .insertInto('training_records')
      .values({
        id: newId('tr'),
        tenant_id: tenant.id,
        operator_id: operator.id,
        kind,
        version: '2026.1',
        completed_at: new Date(Date.parse(until) - 365 * 86_400_000).toISOString(),
        expires_at: until,
        evidence_ref: null,
        recorded_by: 'op_setup',
        created_at: runtime.clock.now().toISOString(),
      })
      .execute();
  }
  return { id: operator.id, tenantId: tenant.id, role };
}

/** `app.inject` as a staff member. */
export function asStaff(
  app: FastifyInstance,
  who: TestStaff | null,
  mfa: 'fresh' | 'stale' | 'none' = 'fresh',
) {
  const headers = (extra: Record<string, string> = {}) => ({
    ...(who ? { 'x-test-operator': who.id } : {}),
    ...(mfa === 'fresh' ? {} : { 'x-test-mfa': mfa }),
    ...extra,
  });
  return {
    get: (url: string) => app.inject({ method: 'GET', url, headers: headers() }),
    post: (url: string, payload: unknown = {}) =>
      app.inject({ method: 'POST', url, payload: payload as object, headers: headers() }),
    delete: (url: string) => app.inject({ method: 'DELETE', url, headers: headers() }),
  };
}

/** One tenant with four customers (in id order, as listings return them) and an app with test actors. */
export async function startAccessFixture(target: DbTarget) {
  const clock = testClock();
  const staff = new Map<string, TestStaff>();
  const t: TestRuntime = await startTestRuntime(target, { clock });
  const app = buildApp(t.runtime);
  installTestActors(app, clock, staff);
  const acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
  // Ids made in the same millisecond sort randomly: follow the id order.
  const created = await t.runtime.contacts.createMany(acme, fakeCustomers(4, 21), testOperator);
  created.sort((a, b) => (a.id < b.id ? -1 : 1));

  async function hire(role: OperatorRole, trainedUntil?: Date): Promise<TestStaff> {
    const s = await createStaff(t.runtime, acme, role, trainedUntil ? { trainedUntil } : {});
    staff.set(s.id, s);
    return s;
  }
  const owner = await hire('owner');

  return {
    t,
    app,
    clock,
    acme,
    owner,
    ids: created.map((c) => c.id),
    people: created.map((c) => ({ phone: c.phone!, email: c.email! })),
    hire,
    /** Assigns a customer to a staff member (as the fixture's owner). */
    async assign(contactId: string, who: TestStaff): Promise<void> {
      const res = await asStaff(app, owner).post('/api/v1/assignments', { contactId, operatorId: who.id });
      if (res.statusCode !== 204) throw new Error(`assignment failed: ${res.statusCode}`);
    },
    /** The tenant's audit entries after chaining what is pending. */
    async auditOf(filter: { action?: AuditAction; targetId?: string; actorId?: string }) {
      await t.runtime.audit.sequence();
      return (await t.runtime.audit.query(acme.id, filter)).entries;
    },
    async close(): Promise<void> {
      await app.close();
      await t.close();
    },
  };
}

export type AccessFixture = Awaited<ReturnType<typeof startAccessFixture>>;
