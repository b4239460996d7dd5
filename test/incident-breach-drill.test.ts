import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { AlertJson } from '../src/features/detection/alerts.ts';
import { GDPR_ART33_FIELDS, PIPL_ART57_FIELDS } from '../src/features/incidents/regulator.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { asStaff, createStaff, installTestActors, testClock, type TestStaff } from './support/access.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { startHookReceiver, startSmtp, waitFor } from './detection-support.ts';

const REASON = 'checking the delivery address for an order';
const HOOK_SECRET = 'drill-webhook-secret-0123456789';

for (const target of databaseTargets()) {
  describe(`breach drill, end to end (${target.name})`, () => {
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let hook: Awaited<ReturnType<typeof startHookReceiver>>;
    // The 300 reveals start a minute before the top of an hour and run on across it: the burst
    // is never measured against its own first minute as the attacker's baseline.
    const clock = testClock(Math.ceil(Date.now() / 3_600_000) * 3_600_000 - 60_000);
    const staff = new Map<string, TestStaff>();
    let owner: TestStaff, attacker: TestStaff, auditor: TestStaff;
    let victims: Array<{ id: string; waId: string }>;
    let canaryId: string;
    let incidentId: string;

    before(async () => {
      emulator = await startEmulator({
        appSecret: 'drill-app-secret-0123456789',
        accessToken: 'drill-access-token-0123456789',
        verifyToken: 'drill-verify-token',
        seed: 10,
        customers: 400,
        throughput: 1000,
        statusDelaysMs: { sent: 5, delivered: 10, read: 20 },
      });
      smtp = await startSmtp();
      hook = await startHookReceiver(HOOK_SECRET);
      t = await startTestRuntime(target, { clock, env: { CHATVAULT_GRAPH_API_BASE: emulator.url } });
      app = buildApp(t.runtime);
      installTestActors(app, clock, staff);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      tenant = await t.runtime.tenants.create({ slug: 'drill', name: 'Drill Shop' });
      const channel = await t.runtime.channels.add(tenant, emulator.channel);
      emulator.setCallback(`${url}${channel.webhookPath}`, emulator.channel.verifyToken);
      assert.equal(await emulator.subscribe(), true);
      for (const role of ['owner', 'admin', 'auditor'] as const) {
        const s = await createStaff(t.runtime, tenant, role);
        staff.set(s.id, s);
        if (role === 'owner') owner = s;
        else if (role === 'admin') attacker = s;
        else auditor = s;
      }
      // 300 real customers of the emulated WhatsApp population; one in six writes in Portuguese.
      const people = emulator.customers.list
        .filter((c) => c.onWhatsApp && c.waId !== undefined)
        .slice(0, 300);
      assert.equal(people.length, 300);
      const created = await t.runtime.contacts.createMany(
        tenant,
        people.map((c, i) => ({
          waId: c.waId!,
          phone: c.phone,
          profileName: c.profileName,
          ...(i % 6 === 0 ? { attributes: { language: 'pt_BR' } } : {}),
        })),
        { type: 'system', id: 'drill-import' },
      );
      victims = created.map((c, i) => ({ id: c.id, waId: people[i]!.waId! }));
      await t.runtime.detection.settings.update(tenant.id, {
        routes: {
          smtp: { host: '127.0.0.1', port: smtp.port, from: 'chatvault@example.com' },
          alertEmails: ['soc@example.com'],
          webhookUrl: hook.url,
          webhookSecret: HOOK_SECRET,
          tenantContacts: ['owner@drill.example'],
          dpoContact: 'Data Protection Officer, dpo@drill.example, +49 30 1234567',
          noticeTemplates: {
            en_US: { name: 'hello_world', language: 'en_US' },
            pt_BR: { name: 'order_confirmation', language: 'pt_BR' },
          },
        },
      });
      // Every tenant gets its canaries automatically on the engine's first pass.
      await t.runtime.detection.run();
      const canaries = await t.runtime.database.db
        .selectFrom('access_canaries')
        .select('contact_id')
        .where('tenant_id', '=', tenant.id)
        .execute();
      assert.ok(canaries.length >= 1, 'the tenant got canary customers');
      canaryId = canaries[0]!.contact_id;
      t.runtime.audit.start();
      t.runtime.detection.start();
    });
    after(async () => {
      await app.close();
      await t.close();
      await emulator.close();
      await smtp.close();
      await hook.close();
    });

    const alerts = async () =>
      (await asStaff(app, auditor).get('/api/v1/alerts')).json<{ alerts: AlertJson[] }>().alerts;

    test('canary customers look like any other customer in the contact list', async () => {
      const all: Array<Record<string, unknown>> = [];
      let cursor: string | null = null;
      do {
        const page: { contacts: Array<Record<string, unknown>>; nextCursor: string | null } = (
          await asStaff(app, owner).get(`/api/v1/contacts?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        all.push(...page.contacts);
        assert.doesNotMatch(JSON.stringify(page), /canary/i);
        cursor = page.nextCursor;
      } while (cursor);
      const canary = all.find((c) => c.id === canaryId)!;
      const normal = all.find((c) => c.id === victims[0]!.id)!;
      assert.ok(canary, 'the canary is listed');
      assert.deepEqual(Object.keys(canary).sort(), Object.keys(normal).sort());
    });

    test('a compromised admin reveals 300 customers in 5 minutes, opens a canary: critical alert within seconds, incident opened', async () => {
      const me = asStaff(app, attacker);
      assert.equal((await me.post('/api/v1/break-glass', { reason: REASON, minutes: 60 })).statusCode, 201);
      // 300 reveals over 300 s of injected time, ten at a time (a script, not a person).
      for (let i = 0; i < victims.length; i += 10) {
        const batch = await Promise.all(
          victims
            .slice(i, i + 10)
            .map((v) => me.post(`/api/v1/contacts/${v.id}/reveal`, { field: 'phone', reason: REASON })),
        );
        for (const res of batch) assert.equal(res.statusCode, 200, res.body);
        clock.advance(10_000);
      }
      const started = Date.now();
      const opened = await me.post(`/api/v1/contacts/${canaryId}/reveal`, { field: 'phone', reason: REASON });
      assert.equal(opened.statusCode, 200);
      let critical: AlertJson | undefined;
      await waitFor(async () => {
        critical = (await alerts()).find((a) => a.rule === 'canary_touched');
        return critical !== undefined;
      }, 5_000);
      const latency = Date.now() - started;
      assert.ok(latency < 5_000, `critical alert after ${latency} ms`);
      assert.equal(critical!.severity, 'critical');
      assert.deepEqual(critical!.actor, { type: 'operator', id: attacker.id });
      const bulk = (await alerts()).find((a) => a.rule === 'bulk_access');
      assert.ok(bulk, 'the bulk reveal is an alert too');
      assert.equal(bulk.actor?.id, attacker.id);

      assert.ok(critical!.incidentId, 'the critical alert opened an incident');
      incidentId = critical!.incidentId;
      const incident = (await asStaff(app, owner).get(`/api/v1/incidents/${incidentId}`)).json<{
        incident: { state: string; suspect: { type: string; id: string } };
      }>().incident;
      assert.equal(incident.state, 'detected');
      assert.deepEqual(incident.suspect, { type: 'operator', id: attacker.id });
    });

    test('the alert reached the console, the SMTP server and the signed webhook, each once', async () => {
      await waitFor(
        () =>
          smtp.mails.some((m) => m.raw.includes('canary_touched')) &&
          hook.hooks.some((h) => h.body.includes('canary_touched')),
      );
      const mail = smtp.mails.find((m) => m.raw.includes('canary_touched'));
      assert.ok(mail, 'an alert e-mail for the canary');
      assert.deepEqual(mail.to, ['soc@example.com']);
      const signed = hook.hooks.filter((h) => h.body.includes('canary_touched'));
      assert.equal(signed.length, 1);
      assert.equal(signed[0]!.valid, true);
      for (const v of victims.slice(0, 5))
        assert.doesNotMatch(mail.raw + signed[0]!.body, new RegExp(v.waId));
      // Replaying the stream (as after a crash) does not double any alert.
      const before = (await alerts()).length;
      await t.runtime.database.db
        .withTables<{ detection_cursors: { tenant_id: string; last_seq: number } }>()
        .deleteFrom('detection_cursors')
        .execute();
      t.runtime.detection.engine.reset();
      await t.runtime.detection.engine.run();
      assert.equal((await alerts()).length, before);
    });

    test('playbooks need a fresh second factor; they disable the operator and seal the vault', async () => {
      const url = `/api/v1/incidents/${incidentId}/playbooks`;
      const stale = await asStaff(app, owner, 'stale').post(url, {
        playbook: 'disable_operator',
        operatorId: attacker.id,
      });
      assert.equal(stale.statusCode, 401);
      assert.equal(stale.json<{ error: { code: string } }>().error.code, 'step_up_required');
      const disabled = await asStaff(app, owner).post(url, {
        playbook: 'disable_operator',
        operatorId: attacker.id,
      });
      assert.equal(disabled.statusCode, 200, disabled.body);
      assert.equal((await t.runtime.operators.getById(tenant.id, attacker.id)).status, 'disabled');
      const sealed = await asStaff(app, owner).post(url, { playbook: 'seal_vault' });
      assert.equal(sealed.statusCode, 200, sealed.body);
      assert.equal(t.runtime.provider.isSealed(), true);
      const blocked = await asStaff(app, owner).post(`/api/v1/contacts/${victims[0]!.id}/reveal`, {
        field: 'phone',
        reason: REASON,
      });
      assert.notEqual(blocked.statusCode, 200);
      for (let i = 0; i < 3; i++) await t.runtime.submitShare(t.shares[i]!);
      await t.runtime.audit.sequence();
      const recorded = (
        await t.runtime.audit.query(tenant.id, { action: 'incident_playbook', targetId: incidentId })
      ).entries;
      assert.deepEqual(
        recorded.map((e) => [e.actor.id, e.outcome]),
        [
          [owner.id, 'success'],
          [owner.id, 'success'],
        ],
        'each playbook is audited, by who ran it',
      );
      const disabledEntry = await t.runtime.audit.query(tenant.id, {
        action: 'user_updated',
        targetId: attacker.id,
      });
      assert.equal(disabledEntry.entries.length, 1, 'auth recorded the disable itself');
      assert.equal(t.runtime.provider.isSealed(), false);
    });

    test('the blast radius lists exactly the 300 customers and the canary, reproducibly, as JSON and CSV', async () => {
      const res = await asStaff(app, auditor).get(`/api/v1/incidents/${incidentId}/blast-radius`);
      assert.equal(res.statusCode, 200, res.body);
      const b = res.json<{
        customers: Array<{ contactId: string; records: number; fields: string[] }>;
        digest: string;
        throughSeq: number;
        totals: { customers: number; records: number };
      }>();
      const expected = [...victims.map((v) => v.id), canaryId].sort();
      assert.deepEqual(
        b.customers.map((c) => c.contactId),
        expected,
      );
      assert.equal(b.totals.records, 301);
      for (const c of b.customers) assert.deepEqual(c.fields, ['phone']);
      const again = (await asStaff(app, auditor).get(`/api/v1/incidents/${incidentId}/blast-radius`)).json<{
        digest: string;
      }>();
      assert.equal(again.digest, b.digest);
      const csv = await asStaff(app, auditor).get(`/api/v1/incidents/${incidentId}/blast-radius?format=csv`);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      assert.equal(csv.body.trim().split('\n').length, 302);
    });

    test('customer notices go out through the emulator to exactly the 300 customers, in their language, tracked', async () => {
      await asStaff(app, owner).post(`/api/v1/incidents/${incidentId}/state`, { state: 'triaged' });
      await asStaff(app, owner).post(`/api/v1/incidents/${incidentId}/state`, { state: 'contained' });
      const res = await asStaff(app, owner).post(`/api/v1/incidents/${incidentId}/notices`);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { whatsapp: 300, otherChannel: 0 });
      t.runtime.outbox.start();
      await waitFor(() => emulator.sent().filter((s) => s.type === 'template').length >= 300, 30_000);
      const sent = emulator.sent().filter((s) => s.type === 'template');
      const digits = (to: string) => to.replace(/^\+/, '');
      assert.equal(sent.length, 300);
      assert.deepEqual([...new Set(sent.map((s) => digits(s.to)))].sort(), victims.map((v) => v.waId).sort());
      assert.equal(sent.filter((s) => s.template === 'order_confirmation').length, 50);
      // The template's variables carry the incident reference (notice-content.ts), never the customer's data.
      const pt = sent.find((s) => s.template === 'order_confirmation')!;
      const vars = JSON.stringify(
        (pt.request as { template?: { components?: Array<{ parameters?: unknown }> } }).template?.components,
      );
      assert.match(vars, /"parameter_name":"order_number"/);
      assert.ok(vars.includes(incidentId), 'the reference is in the notice');
      assert.ok(!vars.includes(digits(pt.to).slice(-7)), 'no phone number in the variables');
      await waitFor(async () => {
        await emulator.flush();
        const notices = (await asStaff(app, auditor).get(`/api/v1/incidents/${incidentId}/notices`)).json<{
          notices: Array<{ status: string | null }>;
        }>().notices;
        return (
          notices.length === 300 &&
          notices.every((n) => n.status !== null && !['queued', 'failed'].includes(n.status))
        );
      }, 30_000);
      const tenantMail = await asStaff(app, owner).post(`/api/v1/incidents/${incidentId}/notify-tenant`);
      assert.deepEqual(tenantMail.json(), { recipients: 1 });
      await waitFor(() => smtp.mails.some((m) => m.to.includes('owner@drill.example')));
    });

    test('the regulator draft has every GDPR Art. 33 and PIPL Art. 57 field and the 72-hour clock', async () => {
      const draft = (
        await asStaff(app, auditor).get(`/api/v1/incidents/${incidentId}/regulator-draft`)
      ).json<{
        gdprArt33: Record<string, unknown>;
        piplArt57: Record<string, unknown>;
        deadlines: Array<{ name: string; hoursLeft: number; overdue: boolean }>;
        missing: string[];
      }>();
      for (const f of GDPR_ART33_FIELDS) assert.ok(f in draft.gdprArt33, f);
      for (const f of PIPL_ART57_FIELDS) assert.ok(f in draft.piplArt57, f);
      assert.deepEqual(draft.missing, []);
      assert.equal(draft.gdprArt33.approximateNumberOfDataSubjects, 301);
      assert.match(draft.deadlines[0]!.name, /72 h/);
      assert.equal(draft.deadlines[0]!.overdue, false);
      assert.ok(draft.deadlines[0]!.hoursLeft > 71);
    });

    test('the incident closes only with a post-incident review; the HTML report is auditor-readable', async () => {
      const state = (s: string) =>
        asStaff(app, owner).post(`/api/v1/incidents/${incidentId}/state`, { state: s });
      assert.equal((await state('eradicated')).statusCode, 200);
      assert.equal((await state('recovered')).statusCode, 200);
      assert.equal((await state('closed')).statusCode, 409);
      const review = await asStaff(app, owner).post(`/api/v1/incidents/${incidentId}/review`, {
        cause: 'Phished admin password and TOTP relayed in real time',
        impact: '300 customers had their phone number revealed',
        whatWorked: 'Canary alert within seconds; one-click containment',
        actions: [{ action: 'Require passkeys for admins', owner: 'CISO', due: '2027-01-15' }],
      });
      assert.equal(review.statusCode, 204, review.body);
      assert.equal((await state('closed')).statusCode, 200);
      const report = await asStaff(app, auditor).get(`/api/v1/incidents/${incidentId}/report.html`);
      assert.equal(report.statusCode, 200);
      assert.match(report.body, /Post-incident review/);
      assert.match(report.body, /Require passkeys for admins/);
      for (const v of victims.slice(0, 20)) assert.doesNotMatch(report.body, new RegExp(v.waId));
    });
  });
}
