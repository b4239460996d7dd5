import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { associatedData, open } from '../src/lib/crypto/aead.ts';
import { ValidationError } from '../src/lib/errors.ts';
import { createAuditService } from '../src/features/audit/audit.service.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { appendEvents, someEvent } from './support/audit.ts';
import { runCli } from './support/cli.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { findLeaks } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

const people = fakeCustomers(6, 31);

for (const target of databaseTargets()) {
  describe(`the audit log records every reveal (${target.name})`, () => {
    let t: TestRuntime;
    let n = 0;
    let now = new Date('2026-03-01T10:00:00.000Z');
    const clock = { now: () => new Date(now) };
    const db = () => t.runtime.database.db;
    const newTenant = () => t.runtime.tenants.create({ slug: `audit${++n}`, name: 'Audit' });
    const entriesOf = (tenant: Tenant) =>
      db().selectFrom('audit_entries').selectAll().where('tenant_id', '=', tenant.id).orderBy('id').execute();

    before(async () => {
      t = await startTestRuntime(target, { clock });
    });
    after(() => t.close());

    test('creating and revealing contacts appends sensitive_create and one sensitive_read per contact shown', async () => {
      const tenant = await newTenant();
      const [alice, bob] = [people[0]!, people[1]!];
      const ids = (await t.runtime.contacts.createMany(tenant, [alice, bob], testOperator)).map((c) => c.id);
      await t.runtime.contacts.getById(tenant, ids[0]!, { ...testReveal, requestId: 'rq_one' });
      await t.runtime.contacts.findByPhone(tenant, bob.phone, testReveal);
      await t.runtime.contacts.findByEmail(tenant, alice.email, testReveal);
      await t.runtime.contacts.findByLastFour(tenant, alice.phone.slice(-4), testReveal);
      const rows = await entriesOf(tenant);
      assert.deepEqual(
        rows.map((r) => [r.action, r.target_id, r.actor_id]),
        [
          ['sensitive_create', ids[0], 'op_test'],
          ['sensitive_create', ids[1], 'op_test'],
          ['sensitive_read', ids[0], 'op_test'],
          ['sensitive_read', ids[1], 'op_test'],
          ['sensitive_read', ids[0], 'op_test'],
          ['sensitive_read', ids[0], 'op_test'],
        ],
      );
      assert.equal(rows[2]!.request_id, 'rq_one');
      assert.ok(
        rows.every((r) => r.seq === null),
        'entries are pending until the sequencer runs',
      );
      assert.equal((await t.runtime.audit.sequence()).sequenced >= 6, true);
      assert.equal((await t.runtime.audit.verify(tenant.id)).entries, 6);
    });

    test("the reason is stored only encrypted, under the customer's key and bound to its audit row", async () => {
      const tenant = await newTenant();
      const contact = await t.runtime.contacts.create(tenant, people[2]!, testOperator);
      await t.runtime.contacts.getById(tenant, contact.id, { ...testReveal, reason: 'refund ticket 7781' });
      const row = (await entriesOf(tenant)).find((r) => r.action === 'sensitive_read')!;
      assert.equal(row.subject_id, contact.id);
      assert.ok(!row.reason_ct!.includes(Buffer.from('refund')));
      const key = await t.runtime.keyring.contactKey(tenant.id, contact.id, 1);
      const ad = (column: string, id: string) => associatedData(tenant.id, 'audit_entries', column, id);
      assert.equal(open(key, row.reason_ct!, ad('reason', row.id)).toString(), 'refund ticket 7781');
      assert.throws(() => open(key, row.reason_ct!, ad('reason', 'ae_other')));
    });

    test('a reveal without a reason, or whose entry cannot be written, returns nothing', async () => {
      const tenant = await newTenant();
      const contact = await t.runtime.contacts.create(tenant, people[3]!, testOperator);
      const before = (await entriesOf(tenant)).length;
      await assert.rejects(
        t.runtime.contacts.getById(tenant, contact.id, { ...testReveal, reason: ' ' }),
        ValidationError,
      );
      const badActor = { ...testReveal, actor: { type: 'operator' as const, id: 'not an id!' } };
      await assert.rejects(
        t.runtime.contacts.findByPhone(tenant, people[3]!.phone, badActor),
        ValidationError,
      );
      assert.equal((await entriesOf(tenant)).length, before);
    });

    test('erasing a customer (dropping its key) keeps the chain valid and its reasons unreadable', async () => {
      const tenant = await newTenant();
      const contact = await t.runtime.contacts.create(tenant, people[4]!, testOperator);
      await t.runtime.contacts.getById(tenant, contact.id, testReveal);
      await t.runtime.audit.sequence({ forceCheckpoint: true });
      await db().updateTable('contacts').set({ key_wrapped: null }).where('id', '=', contact.id).execute();
      await db().deleteFrom('contact_keys').where('contact_id', '=', contact.id).execute();
      t.runtime.keyring.clear();
      await assert.rejects(t.runtime.keyring.contactKey(tenant.id, contact.id, 1));
      const result = await t.runtime.audit.verify(tenant.id);
      assert.equal(result.ok, true, result.problem?.message);
      assert.equal(result.entries, 2);
    });

    test('updating a customer and finding one by WhatsApp identity are audited in the same transaction', async () => {
      const tenant = await newTenant();
      const person = people[5]!;
      const contact = await t.runtime.contacts.create(tenant, person, testOperator);
      const patch = { tags: ['vip'], profileName: 'Renamed Customer' };
      await t.runtime.contacts.update(tenant, contact.id, patch, testOperator);
      const byIdentity = { ...testReveal, requestId: 'rq_identity' };
      assert.equal(
        (await t.runtime.contacts.findByIdentity(tenant, { waId: person.waId }, byIdentity))?.id,
        contact.id,
      );
      const unknown = { waId: '15550001234' };
      assert.equal(await t.runtime.contacts.findByIdentity(tenant, unknown, testReveal), undefined);
      const rows = await entriesOf(tenant);
      assert.deepEqual(
        rows.map((r) => [r.action, r.target_id, r.actor_id, r.subject_id]),
        [
          ['sensitive_create', contact.id, 'op_test', null],
          ['sensitive_update', contact.id, 'op_test', contact.id],
          ['sensitive_read', contact.id, 'op_test', contact.id],
        ],
      );
      assert.equal(rows[2]!.request_id, 'rq_identity');
      // The update names the fields it changed, encrypted under the customer's key; never their values.
      const update = rows[1]!;
      assert.ok(!update.detail_ct!.includes(Buffer.from('Renamed')));
      const key = await t.runtime.keyring.contactKey(tenant.id, contact.id, 1);
      const ad = associatedData(tenant.id, 'audit_entries', 'detail', update.id);
      assert.deepEqual(JSON.parse(open(key, update.detail_ct!, ad).toString()), {
        fields: ['profileName', 'tags'],
      });

      // No reveal without a reason; an update whose entry cannot be written changes nothing.
      const noReason = { ...testReveal, reason: ' ' };
      await assert.rejects(
        t.runtime.contacts.findByIdentity(tenant, { waId: person.waId }, noReason),
        ValidationError,
      );
      const badActor = { type: 'operator' as const, id: 'not an id!' };
      await assert.rejects(
        t.runtime.contacts.update(tenant, contact.id, { tags: ['lost'] }, badActor),
        ValidationError,
      );
      assert.equal((await entriesOf(tenant)).length, 3);
      assert.deepEqual((await t.runtime.contacts.getById(tenant, contact.id, testReveal)).tags, ['vip']);
      await t.runtime.audit.sequence();
      const result = await t.runtime.audit.verify(tenant.id);
      assert.equal(result.ok, true, result.problem?.message);
    });

    test('a checkpoint is signed after N entries, or after T seconds when there are new entries', async () => {
      const tenant = await newTenant();
      const count = async () => (await t.runtime.audit.checkpoints(tenant.id)).checkpoints.length;
      await appendEvents(t.runtime, tenant, 3);
      await t.runtime.audit.sequence();
      assert.equal(await count(), 1, 'the first entries get a checkpoint at once');
      await appendEvents(t.runtime, tenant, 3);
      await t.runtime.audit.sequence();
      assert.equal(await count(), 1, 'within T seconds no new checkpoint');
      now = new Date(now.getTime() + 1100);
      await t.runtime.audit.sequence();
      assert.equal(await count(), 2, 'after T seconds a checkpoint covers the new entries');
      now = new Date(now.getTime() + 5000);
      await t.runtime.audit.sequence();
      assert.equal(await count(), 2, 'no checkpoint without new entries');
      await appendEvents(t.runtime, tenant, 1000);
      await t.runtime.audit.sequence();
      const sizes = (await t.runtime.audit.checkpoints(tenant.id)).checkpoints.map((c) => c.treeSize);
      assert.deepEqual(sizes, [3, 6, 1006], 'N = 1000 new entries trigger one without waiting');
    });

    test('sealing and unsealing are recorded in every tenant chain', async () => {
      const [a, b] = [await newTenant(), await newTenant()];
      await t.runtime.seal();
      for (const share of t.shares.slice(0, 3)) await t.runtime.submitShare(share);
      for (const tenant of [a, b]) {
        const actions = (await entriesOf(tenant)).map((r) => [r.action, r.actor_type, r.outcome]);
        assert.deepEqual(actions, [
          ['sys_seal', 'system', 'success'],
          ['sys_unseal', 'system', 'success'],
        ]);
      }
      await t.runtime.audit.sequence();
      assert.equal((await t.runtime.audit.verify(a.id)).ok, true);
    });

    test('the auditor query filters by actor, action, target and time and pages without gaps', async () => {
      const tenant = await newTenant();
      const start = now.toISOString();
      const other = { type: 'api_key' as const, id: 'key_1' };
      for (let i = 0; i < 25; i++) {
        await db()
          .transaction()
          .execute((trx) =>
            t.runtime.audit.append(
              trx,
              someEvent(
                tenant,
                i % 5 === 0
                  ? { actor: other, action: 'sensitive_export', target: { type: 'contact', id: 'ct_x' } }
                  : {},
              ),
            ),
          );
        now = new Date(now.getTime() + 1000);
      }
      await t.runtime.audit.sequence();
      const all = await t.runtime.audit.query(tenant.id, { limit: 500 });
      assert.equal(all.entries.length, 25);
      assert.deepEqual(
        all.entries.map((e) => e.seq),
        [...Array(25).keys()].reverse(),
      );
      const byActor = await t.runtime.audit.query(tenant.id, { actorId: 'key_1', actorType: 'api_key' });
      assert.deepEqual(
        byActor.entries.map((e) => e.seq),
        [20, 15, 10, 5, 0],
      );
      assert.equal(
        (await t.runtime.audit.query(tenant.id, { action: 'sensitive_export' })).entries.length,
        5,
      );
      assert.equal(
        (await t.runtime.audit.query(tenant.id, { targetType: 'contact', targetId: 'ct_x' })).entries.length,
        5,
      );
      const window = await t.runtime.audit.query(tenant.id, {
        from: new Date(Date.parse(start) + 10_000).toISOString(),
        to: new Date(Date.parse(start) + 15_000).toISOString(),
        order: 'asc',
      });
      assert.deepEqual(
        window.entries.map((e) => e.seq),
        [10, 11, 12, 13, 14],
      );
      const pages: number[] = [];
      let cursor: number | undefined;
      do {
        const page = await t.runtime.audit.query(tenant.id, { limit: 7, cursor, order: 'asc' });
        pages.push(...page.entries.map((e) => e.seq));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      assert.deepEqual(pages, [...Array(25).keys()]);
      assert.ok(all.entries.every((e) => e.reasonCt !== null && !('reason' in e)));
      await assert.rejects(t.runtime.audit.query(tenant.id, { limit: 501 }), ValidationError);
    });

    test('several processes appending and sequencing at once produce one valid chain', async () => {
      const tenant = await newTenant();
      const batches = [fakeCustomers(40, 101), fakeCustomers(40, 202)];
      const importing = batches.map((batch) =>
        runCli(
          ['contact', 'import', '--tenant', tenant.slug, '--file', '-'],
          t.env,
          batch.map((c) => JSON.stringify(c)).join('\n'),
        ),
      );
      for (let i = 0; i < 10; i++) {
        await appendEvents(t.runtime, tenant, 10);
        await t.runtime.audit.sequence();
      }
      for (const result of await Promise.all(importing)) assert.equal(result.code, 0, result.stderr);
      await t.runtime.audit.sequence({ forceCheckpoint: true });
      const result = await t.runtime.audit.verify(tenant.id);
      assert.equal(result.ok, true, result.problem?.message);
      assert.deepEqual([result.entries, result.pending], [180, 0]);
    });

    test('an append whose transaction rolled back is never chained; kept and read-back rows chain in id order', async () => {
      const tenant = await newTenant();
      const failed = someEvent(tenant, { requestId: 'rq_rolled_back' });
      await assert.rejects(
        db()
          .transaction()
          .execute(async (trx) => {
            await t.runtime.audit.append(trx, failed);
            throw new Error('the action failed');
          }),
        /the action failed/,
      );
      // Interleave entries this process keeps with entries only the database has (another service).
      const other = createAuditService({
        db: db(),
        dialect: t.runtime.database.dialect,
        keyring: t.runtime.keyring,
        vault: t.runtime.vault,
        clock,
        logger: t.runtime.logger,
      });
      for (let i = 0; i < 6; i++) {
        const service = i % 2 === 0 ? t.runtime.audit : other;
        await db()
          .transaction()
          .execute((trx) => service.append(trx, someEvent(tenant)));
      }
      assert.equal((await t.runtime.audit.sequence({ forceCheckpoint: true })).sequenced >= 6, true);
      const rows = await entriesOf(tenant);
      assert.equal(rows.length, 6);
      assert.ok(rows.every((r) => r.request_id !== 'rq_rolled_back'));
      assert.deepEqual(
        rows.map((r) => r.seq),
        [0, 1, 2, 3, 4, 5],
        'chained in id order',
      );
      const result = await t.runtime.audit.verify(tenant.id);
      assert.equal(result.ok, true, result.problem?.message);
      assert.equal(result.entries, 6);
    });

    test('the export holds ciphertexts and ids only, never the personal data behind them', async () => {
      const tenant = await newTenant();
      const contacts = await t.runtime.contacts.createMany(tenant, people, testOperator);
      for (const c of contacts)
        await t.runtime.contacts.getById(tenant, c.id, {
          ...testReveal,
          reason: `call with ${c.profileName}`,
        });
      await t.runtime.audit.sequence({ forceCheckpoint: true });
      let text = '';
      const r = await t.runtime.audit.export(tenant.id, (line) => void (text += line));
      assert.deepEqual(r, { entries: 12, checkpoints: 1 });
      assert.deepEqual(findLeaks(Buffer.from(text), people), []);
    });
  });
}
