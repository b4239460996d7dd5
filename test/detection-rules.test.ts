import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { AuditEvent } from '../src/features/audit/audit.service.ts';
import type { AlertJson } from '../src/features/detection/alerts.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { createStaff, testClock } from './support/access.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

type Ev = Partial<AuditEvent> & Pick<AuditEvent, 'action'>;
const MIN = 60_000;
const HOUR = 60 * MIN;

for (const target of databaseTargets()) {
  describe(`detection rules, each with a false-positive guard (${target.name})`, () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    // A Wednesday, 10:00 in Berlin: inside the business hours set below.
    const clock = testClock(Date.parse('2026-11-25T09:00:00.000Z'));
    let n = 0;

    before(async () => {
      t = await startTestRuntime(target, { clock });
      app = buildApp(t.runtime);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    async function tenant(): Promise<Tenant> {
      n++;
      return t.runtime.tenants.create({ slug: `rules-${n}`, name: `Rules ${n}` });
    }
    /** Appends events through the real audit service, one injected-clock step apart. */
    async function emit(tn: Tenant, events: Ev[], stepMs = 1000): Promise<void> {
      for (const e of events) {
        await t.runtime.database.db.transaction().execute((trx) =>
          t.runtime.audit.append(trx, {
            tenantId: tn.id,
            actor: { type: 'operator', id: 'op_alice' },
            target: { type: 'contact', id: 'ct_someone' },
            outcome: 'success',
            ...e,
          }),
        );
        clock.advance(stepMs);
      }
    }
    const repeat = (k: number, f: (i: number) => Ev): Ev[] => Array.from({ length: k }, (_, i) => f(i));
    async function alertsOf(tn: Tenant, rule?: string): Promise<AlertJson[]> {
      await t.runtime.audit.sequence();
      await t.runtime.detection.run();
      const all = await t.runtime.detection.alerts.list(tn.id);
      return rule ? all.filter((a) => a.rule === rule) : all;
    }
    const reads = (k: number, actor = 'op_alice'): Ev[] =>
      repeat(k, (i) => ({
        action: 'sensitive_read',
        actor: { type: 'operator', id: actor },
        target: { type: 'contact', id: `ct_c${i}` },
      }));

    test('bulk reads: 120 in 10 minutes alert once; 40 an hour over three hours do not', async () => {
      const normal = await tenant();
      await emit(normal, reads(120), 90_000); // 40/h for 3 h
      assert.deepEqual(await alertsOf(normal, 'bulk_access'), []);
      const bulk = await tenant();
      await emit(bulk, reads(120), 4000); // 120 in 8 min
      const alerts = await alertsOf(bulk, 'bulk_access');
      assert.equal(alerts.length, 1, 'one alert for one burst');
      assert.equal(alerts[0]!.severity, 'high');
      assert.deepEqual(alerts[0]!.actor, { type: 'operator', id: 'op_alice' });
    });

    test("bulk reads: above the threshold but within the actor's own baseline do not alert again", async () => {
      const tn = await tenant();
      await emit(tn, reads(150, 'op_power'), 2000); // day 1: learning, alerts
      assert.equal((await alertsOf(tn, 'bulk_access')).length, 1);
      clock.advance(24 * 60 * MIN);
      await emit(tn, reads(150, 'op_power'), 2000); // day 2: the same volume is this person's normal
      assert.equal((await alertsOf(tn, 'bulk_access')).length, 1);
    });

    test('bulk reads by a busy actor: the burst alerts once it exceeds 3 × their busiest hour, not a window later', async () => {
      const tn = await tenant();
      clock.advance(HOUR - (clock.now().getTime() % HOUR) + MIN);
      await emit(tn, reads(40, 'op_busy'), MIN); // a normal hour: 40 reads (busiest 40 → floor 120)
      assert.deepEqual(await alertsOf(tn, 'bulk_access'), []);
      clock.advance(24 * 60 * MIN);
      await emit(tn, reads(110, 'op_busy'), 2000); // within 3 × 40: quiet
      assert.deepEqual(await alertsOf(tn, 'bulk_access'), []);
      await emit(tn, reads(40, 'op_busy'), 2000); // the same burst grows past 120 within 5 min
      const alerts = await alertsOf(tn, 'bulk_access');
      assert.equal(alerts.length, 1);
      assert.equal((alerts[0]!.detail as { count: number }).count, 121);
    });

    test('bulk reads across the top of the hour: the first part of the burst is not its own baseline', async () => {
      const tn = await tenant();
      // 90 reads ending 10 s before the hour, seen by the engine (learned), then 20 more after it.
      const toHour = HOUR - (clock.now().getTime() % HOUR);
      clock.advance(toHour - 100_000);
      await emit(tn, reads(90, 'op_night'), 1000);
      assert.deepEqual(await alertsOf(tn, 'bulk_access'), []);
      clock.advance(30_000);
      await emit(tn, reads(20, 'op_night'), 1000);
      const alerts = await alertsOf(tn, 'bulk_access');
      assert.equal(alerts.length, 1, 'the burst of 110 in under 3 minutes alerts');
      assert.deepEqual(alerts[0]!.actor, { type: 'operator', id: 'op_night' });
    });

    test('tenant-wide reads: many accounts each below their threshold still alert together; fewer do not', async () => {
      const tn = await tenant();
      await t.runtime.detection.settings.update(tn.id, {
        thresholds: { tenantBulk: { windowMinutes: 60, threshold: 50 } },
      });
      const spread = (k: number) =>
        repeat(k, (i) => ({
          action: 'sensitive_read' as const,
          actor: { type: 'operator' as const, id: `op_team${i % 5}` },
          target: { type: 'contact', id: `ct_c${i}` },
        }));
      await emit(tn, spread(40), 10_000);
      assert.deepEqual(await alertsOf(tn), []);
      await emit(tn, spread(20), 10_000);
      const alerts = await alertsOf(tn);
      assert.deepEqual(
        alerts.map((a) => a.rule),
        ['tenant_bulk_access'],
      );
      assert.equal(alerts[0]!.actor, null);
    });

    test('a canary customer touched is critical and opens an incident; creating it and reading others is not', async () => {
      const tn = await tenant();
      await alertsOf(tn); // provisions the canaries (their creation is a system sensitive_create)
      const canaries = await t.runtime.database.db
        .selectFrom('access_canaries')
        .select('contact_id')
        .where('tenant_id', '=', tn.id)
        .execute();
      assert.equal(canaries.length, 2);
      await emit(tn, reads(5));
      assert.deepEqual(await alertsOf(tn), []);
      await emit(tn, [
        { action: 'sensitive_read', target: { type: 'contact', id: canaries[1]!.contact_id } },
      ]);
      const [alert] = await alertsOf(tn, 'canary_touched');
      assert.equal(alert!.severity, 'critical');
      assert.ok(alert!.incidentId);
      const incidents = await t.runtime.incidents.list(tn.id);
      assert.equal(incidents.length, 1);
      assert.equal(incidents[0]!.state, 'detected');
    });

    test('failed sign-ins: 10 on one account alert; 3 do not', async () => {
      const tn = await tenant();
      const fail = (account: string) => ({
        action: 'authn_login_fail' as const,
        actor: { type: 'operator' as const, id: account },
        target: { type: 'operator', id: account },
        outcome: 'failure' as const,
        clientIp: '203.0.113.9',
      });
      await emit(
        tn,
        repeat(3, () => fail('op_bob')),
      );
      assert.deepEqual(await alertsOf(tn, 'failed_login_burst'), []);
      await emit(
        tn,
        repeat(10, () => fail('op_carol')),
        5000,
      );
      const alerts = await alertsOf(tn, 'failed_login_burst');
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.detail.account, 'op_carol');
    });

    test('password spraying through the real sign-in endpoint: 5 accounts from one address alert; 2 do not', async () => {
      const tn = await tenant();
      const people = [];
      for (let i = 0; i < 5; i++) people.push(await createStaff(t.runtime, tn, 'agent'));
      const emails = await Promise.all(
        people.map(async (p) => (await t.runtime.operators.getById(tn.id, p.id)).email),
      );
      const login = (email: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { tenant: tn.slug, email, password: 'Summer2026!' },
        });
      for (const email of emails.slice(0, 2)) assert.equal((await login(email)).statusCode, 401);
      assert.deepEqual(await alertsOf(tn, 'password_spraying'), []);
      for (const email of emails.slice(2)) assert.equal((await login(email)).statusCode, 401);
      const alerts = await alertsOf(tn, 'password_spraying');
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.detail.accounts, 5);
    });

    test('second-factor failures: 5 alert; 2 do not', async () => {
      const tn = await tenant();
      const mfa = (account: string): Ev => ({
        action: 'authn_mfa_fail',
        actor: { type: 'operator', id: account },
        target: { type: 'operator', id: account },
        outcome: 'failure',
      });
      await emit(
        tn,
        repeat(2, () => mfa('op_dan')),
      );
      assert.deepEqual(await alertsOf(tn, 'mfa_failures'), []);
      await emit(
        tn,
        repeat(5, () => mfa('op_erin')),
      );
      assert.equal((await alertsOf(tn, 'mfa_failures')).length, 1);
    });

    test('a sign-in from a new network alerts; the first sign-in and the same /24 do not', async () => {
      const tn = await tenant();
      const ok = (ip: string): Ev => ({
        action: 'authn_login_success',
        actor: { type: 'operator', id: 'op_frank' },
        target: { type: 'operator', id: 'op_frank' },
        clientIp: ip,
      });
      await emit(tn, [ok('198.51.100.7')]);
      assert.deepEqual(await alertsOf(tn, 'new_network'), []);
      t.runtime.detection.engine.reset(); // the learned network is persisted, not only in memory
      await emit(tn, [ok('198.51.100.200')]);
      assert.deepEqual(await alertsOf(tn, 'new_network'), []);
      await emit(tn, [ok('192.0.2.44')]);
      const alerts = await alertsOf(tn, 'new_network');
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.detail.network, '192.0.2.0/24');
    });

    test("sensitive actions outside the tenant's business hours alert; inside them they do not", async () => {
      const tn = await tenant();
      await t.runtime.detection.settings.update(tn.id, {
        thresholds: {
          businessHours: { timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
        },
      });
      const saved = clock.now().getTime();
      clock.advance(Date.parse('2026-12-02T09:30:00.000Z') - saved); // Wednesday 10:30 in Berlin
      await emit(tn, reads(3));
      assert.deepEqual(await alertsOf(tn, 'off_hours'), []);
      clock.advance(Date.parse('2026-12-06T02:00:00.000Z') - clock.now().getTime()); // Sunday 03:00
      await emit(tn, reads(3));
      const alerts = await alertsOf(tn, 'off_hours');
      assert.equal(alerts.length, 1, 'one per operator per day');
    });

    test('an API key refused (outside its allowlist, suspended) alerts; a key used normally does not', async () => {
      const tn = await tenant();
      const use = (outcome: 'success' | 'denied'): Ev => ({
        action: outcome === 'success' ? 'sensitive_read' : 'authz_fail',
        actor: { type: 'api_key', id: 'key_vendor1' },
        target: { type: 'contact', id: 'ct_x' },
        outcome,
        clientIp: '203.0.113.50',
      });
      await emit(
        tn,
        repeat(5, () => use('success')),
      );
      assert.deepEqual(await alertsOf(tn, 'vendor_key_misuse'), []);
      await emit(tn, [use('denied')]);
      assert.equal((await alertsOf(tn, 'vendor_key_misuse')).length, 1);
    });

    test('webhook signature failures: 5 in 5 minutes alert; 2 do not', async () => {
      const tn = await tenant();
      const bad = (channel: string): Ev => ({
        action: 'authn_token_invalid',
        actor: { type: 'system', id: 'whatsapp-webhook' },
        target: { type: 'channel', id: channel },
        outcome: 'denied',
      });
      await emit(
        tn,
        repeat(2, () => bad('ch_one')),
      );
      assert.deepEqual(await alertsOf(tn, 'webhook_signature_burst'), []);
      await emit(
        tn,
        repeat(5, () => bad('ch_two')),
        10_000,
      );
      assert.equal((await alertsOf(tn, 'webhook_signature_burst')).length, 1);
    });

    test('a decryption failure alerts; successful reads do not', async () => {
      const tn = await tenant();
      await emit(tn, reads(3));
      assert.deepEqual(await alertsOf(tn, 'decryption_failure'), []);
      await t.runtime.detection.recordDecryptFailure(tn.id, { type: 'contact', id: 'ct_moved' });
      assert.equal((await alertsOf(tn, 'decryption_failure')).length, 1);
    });

    test('the scheduled audit verification: an intact chain is quiet, a tampered one is critical', async () => {
      const tn = await tenant();
      await emit(tn, reads(5));
      await t.runtime.audit.sequence({ forceCheckpoint: true });
      const before = await t.runtime.detection.verifyChains();
      assert.equal(before, 0);
      await t.runtime.database.db
        .updateTable('audit_entries')
        .set({ actor_id: 'op_mallory' })
        .where('tenant_id', '=', tn.id)
        .where('seq', '=', 2)
        .execute();
      assert.ok((await t.runtime.detection.verifyChains()) >= 1);
      const [alert] = (await t.runtime.detection.alerts.list(tn.id)).filter(
        (a) => a.rule === 'audit_chain_broken',
      );
      assert.equal(alert!.severity, 'critical');
      assert.ok(alert!.incidentId);
      await t.runtime.detection.verifyChains();
      assert.equal(
        (await t.runtime.detection.alerts.list(tn.id)).filter((a) => a.rule === 'audit_chain_broken').length,
        1,
        'deduplicated across scheduled runs',
      );
    });

    test('seal, unseal and key destruction are reported', async () => {
      const tn = await tenant();
      await alertsOf(tn);
      await t.runtime.seal();
      for (let i = 0; i < 3; i++) await t.runtime.submitShare(t.shares[i]!);
      await emit(tn, [{ action: 'key_destroy', target: { type: 'contact_key', id: 'ct_erased' } }]);
      const alerts = await alertsOf(tn, 'vault_event');
      assert.deepEqual(alerts.map((a) => a.detail.action).sort(), ['key_destroy', 'sys_seal', 'sys_unseal']);
      assert.equal(alerts.find((a) => a.detail.action === 'key_destroy')!.severity, 'high');
    });

    test('after a restart the engine resumes at its cursor and re-primes its windows: a burst across the restart still alerts, once', async () => {
      const tn = await tenant();
      await emit(tn, reads(60), 3000);
      assert.deepEqual(await alertsOf(tn, 'bulk_access'), []);
      t.runtime.detection.engine.reset(); // as after a crash: every window in memory is gone
      await emit(tn, reads(60), 3000);
      assert.equal((await alertsOf(tn, 'bulk_access')).length, 1);
      t.runtime.detection.engine.reset();
      assert.equal((await alertsOf(tn, 'bulk_access')).length, 1, 'a replay does not double it');
    });
  });
}
