import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { settlePhonelessCountries } from '../src/db/migrations/0024-contact-countries-at-write.ts';
import { SealedError } from '../src/lib/errors.ts';
import type { SegmentDefinition } from '../src/features/campaigns/campaigns.schema.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { testOperator, testReveal } from './support/actors.ts';
import { asStaff, createStaff, installTestActors, type TestStaff } from './support/access.ts';
import { messagesDelivery, metaJson, PHONE_NUMBER_ID, sign, WABA_ID } from './support/meta.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const secrets = {
  appSecret: 'segments-app-secret-0123456789',
  verifyToken: 'segments-verify-token',
  accessToken: 'EAAG-segments-access-token-0123456789',
  phoneNumberId: PHONE_NUMBER_ID,
  wabaId: WABA_ID,
};
const DAY = 86_400_000;

/**
 * The shop's customers. `in` ones are opted in to marketing, `out` opted in and then out, `none` never
 * asked. Two more write in over the webhook (created by ingest): Portugal 3 days ago, Britain 60.
 */
const PEOPLE = [
  { key: 'es', phone: '+34612345678', tags: ['vip', 'summer'], consent: 'in' },
  { key: 'ch', phone: '+41791234567', tags: ['vip'], consent: 'in' },
  { key: 'in', phone: '+919812345678', tags: ['regular'], consent: 'in' },
  { key: 'de', phone: '+4915112345678', tags: ['regular', 'summer'], consent: 'in' },
  { key: 'br', phone: '+5511912345678', tags: [], consent: 'in' },
  { key: 'fr', phone: '+33612345678', tags: ['mover'], consent: 'in' },
  { key: 'esOut', phone: '+34699999999', tags: ['vip', 'summer'], consent: 'out' },
  { key: 'esNone', phone: '+34677777777', tags: ['vip'], consent: 'none' },
] as const;
const WRITERS = [
  { key: 'pt', waId: '351912345678', daysAgo: 3 },
  { key: 'gb', waId: '447700900123', daysAgo: 60 },
] as const;

for (const target of databaseTargets()) {
  describe(`campaign segments from plain columns only (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let app: FastifyInstance;
    let marketer: ReturnType<typeof asStaff>;
    const ids = new Map<string, string>();
    const id = (key: string) => ids.get(key)!;

    const count = (definition: Partial<SegmentDefinition>) =>
      t.runtime.campaigns.segments.count(tenant.id, definition as SegmentDefinition);
    const countryOf = async (contactId: string) =>
      (
        await sql<{
          country: string;
        }>`select country from contacts where id = ${contactId} and country is not null`.execute(
          t.runtime.database.db,
        )
      ).rows.map((r) => r.country);
    /** Audit entries in which the campaigns system opened personal data (the legacy backfill does). */
    const campaignReads = async () =>
      (
        await t.runtime.database.db
          .selectFrom('audit_entries')
          .select('id')
          .where('tenant_id', '=', tenant.id)
          .where('actor_type', '=', 'system')
          .where('actor_id', '=', 'campaigns')
          .where('action', '=', 'sensitive_read')
          .execute()
      ).length;
    const consent = (contactId: string, event: 'opt_in' | 'opt_out', at: Date) =>
      t.runtime.consent.importEvents(
        tenant.id,
        [{ contactId, purpose: 'marketing', event, at, evidence: { method: 'checkout checkbox' } }],
        testOperator,
      );
    /** A signed text message from `waId`, sent `daysAgo` days ago; ingest creates the customer. */
    const writeIn = async (
      path: string,
      who: { waId: string; userId?: string },
      daysAgo: number,
      wamid: string,
    ) => {
      const timestamp = String(Math.floor((Date.now() - daysAgo * DAY) / 1000));
      const body = metaJson(
        messagesDelivery({
          contacts: [
            {
              profile: { name: 'Customer' },
              wa_id: who.waId,
              ...(who.userId ? { user_id: who.userId } : {}),
            },
          ],
          messages: [
            {
              from: who.waId,
              ...(who.userId ? { from_user_id: who.userId } : {}),
              id: wamid,
              timestamp,
              type: 'text',
              text: { body: 'Hello' },
            },
          ],
        }),
      );
      const res = await app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secrets.appSecret) },
        payload: body,
      });
      assert.equal(res.statusCode, 200, res.body);
    };

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const { webhookPath } = await t.runtime.channels.add(tenant, secrets);
      app = buildApp(t.runtime);
      const staff = new Map<string, TestStaff>();
      installTestActors(app, t.runtime.clock, staff);
      const s = await createStaff(t.runtime, tenant, 'marketer');
      staff.set(s.id, s);
      marketer = asStaff(app, s);

      const created = await t.runtime.contacts.createMany(
        tenant,
        PEOPLE.map((p) => ({ phone: p.phone, waId: p.phone.slice(1), tags: [...p.tags] })),
        testOperator,
      );
      PEOPLE.forEach((p, i) => ids.set(p.key, created[i]!.id));
      for (const [i, w] of WRITERS.entries()) {
        await writeIn(webhookPath, { waId: w.waId }, w.daysAgo, `wamid.segments.${i}`);
        const found = await t.runtime.contacts.findByIdentity(tenant, { waId: w.waId }, testReveal);
        ids.set(w.key, found!.id);
      }
      const hourAgo = new Date(Date.now() - 3600_000);
      for (const p of PEOPLE) if (p.consent !== 'none') await consent(id(p.key), 'opt_in', hourAgo);
      for (const w of WRITERS) await consent(id(w.key), 'opt_in', hourAgo);
      await consent(id('esOut'), 'opt_out', new Date());

      // A BSUID-only customer (no phone yet), who later writes in with their number: ingest adds it.
      const [hidden] = await t.runtime.contacts.createMany(
        tenant,
        [{ userId: 'US.bsuid.0001' }],
        testOperator,
      );
      ids.set('hidden', hidden!.id);
      assert.deepEqual(await countryOf(hidden!.id), ['ZZ'], 'no phone: country unknown, but stored');
      await consent(hidden!.id, 'opt_in', hourAgo);
      await writeIn(
        webhookPath,
        { waId: '819012345678', userId: 'US.bsuid.0001' },
        400,
        'wamid.segments.hidden',
      );
    });
    after(async () => {
      await app?.close();
      await t?.close();
    });

    test('every customer gets a country when the phone is written, and counting opens no phone', async () => {
      // Created by the contacts API, by ingest, and a phone added by ingest later: each has its row.
      for (const p of PEOPLE) assert.equal((await countryOf(id(p.key))).length, 1, p.key);
      assert.deepEqual(await countryOf(id('pt')), ['PT']);
      assert.deepEqual(await countryOf(id('gb')), ['GB']);
      assert.deepEqual(await countryOf(id('hidden')), ['JP']);
      assert.deepEqual(await countryOf(id('ch')), ['CH']);

      assert.equal(await count({ countries: ['ES'] }), 1, 'one opted-in Spaniard of three');
      assert.equal(await count({ countries: ['JP'] }), 1);
      assert.equal(await count({ languages: ['de'] }), 2);
      // Nothing was left for the legacy backfill: no phone was opened, no system read recorded.
      assert.equal(await t.runtime.campaigns.segments.refreshCountries(tenant.id), 0);
      assert.equal(await campaignReads(), 0);
    });

    test('with the vault sealed, so no customer key can be unwrapped, segments still count', async () => {
      await t.runtime.seal();
      try {
        await assert.rejects(t.runtime.contacts.getById(tenant, id('es'), testReveal), SealedError);
        assert.equal(await count({ countries: ['ES', 'CH'] }), 2);
        assert.equal(await count({ languages: ['de'], tagsAll: ['vip'] }), 1);
        assert.equal(await count({ activeWithinDays: 7 }), 1);
      } finally {
        t.runtime.provider.resetUnseal();
        for (const share of t.shares.slice(0, 3))
          assert.equal(
            (await app.inject({ method: 'POST', url: '/api/v1/sys/unseal', payload: { share } })).statusCode,
            200,
          );
      }
      assert.equal(t.runtime.provider.isSealed(), false);
    });

    test('countries and languages filter over the stored country, a country with several languages too', async () => {
      assert.equal(await count({ countries: ['DE', 'CH'] }), 2);
      assert.equal(await count({ countries: ['US'] }), 0);
      assert.equal(await count({ languages: ['it'] }), 1, 'Switzerland speaks Italian');
      assert.equal(await count({ languages: ['fr'] }), 2, 'France and Switzerland');
      assert.equal(await count({ languages: ['hi'] }), 1, 'India');
      assert.equal(await count({ languages: ['en'] }), 2, 'India and Britain');
      assert.equal(await count({ languages: ['pt'] }), 2, 'Brazil and Portugal');
      assert.equal(await count({ languages: ['ja', 'es'] }), 2, 'Japan and the opted-in Spaniard');
      assert.equal(await count({ languages: ['de'], countries: ['DE'] }), 1, 'both filters hold');
      assert.equal(await count({ languages: ['sw'] }), 0);
    });

    test('last interaction: wrote within, silent for at least (never wrote counts as silent)', async () => {
      assert.equal(await count({ activeWithinDays: 7 }), 1, 'Portugal wrote 3 days ago');
      assert.equal(await count({ activeWithinDays: 90 }), 2, 'and Britain 60 days ago');
      assert.equal(await count({ activeWithinDays: 3650 }), 3, 'and the BSUID customer 400 days ago');
      // Six imported customers never wrote; Britain and the BSUID customer wrote long ago.
      assert.equal(await count({ inactiveForDays: 30 }), 8);
      assert.equal(await count({ inactiveForDays: 90 }), 7);
      assert.equal(await count({ inactiveForDays: 30, activeWithinDays: 90 }), 1, 'only Britain');
    });

    test('tags: all of, any of, none of', async () => {
      assert.equal(await count({ tagsAll: ['vip'] }), 2);
      assert.equal(await count({ tagsAll: ['vip', 'summer'] }), 1);
      assert.equal(await count({ tagsAny: ['summer', 'regular'] }), 3);
      assert.equal(await count({ tagsNone: ['vip'] }), 7);
      assert.equal(await count({ tagsAny: ['summer'], tagsNone: ['vip'] }), 1);
      assert.equal(await count({ tagsAll: ['summer'], countries: ['ES'] }), 1);
      // A tag that is a prefix of another matches only itself.
      assert.equal(await count({ tagsAll: ['sum'] }), 0);
    });

    test('an opted-out or never-asked customer is never counted, whatever the filters', async () => {
      assert.equal(await count({}), 9, 'every opted-in customer');
      assert.equal(await count({ countries: ['ES'], tagsAll: ['vip'] }), 1);
      assert.equal(await count({ languages: ['es'], tagsAll: ['vip', 'summer'] }), 1);
      await consent(id('ch'), 'opt_out', new Date());
      assert.equal(await count({ languages: ['it'] }), 0, 'an opt-out takes effect at once');
      assert.equal(await count({}), 8);
      await consent(id('ch'), 'opt_in', new Date(Date.now() + 1000));
      assert.equal(await count({ languages: ['it'] }), 1);
    });

    test("a phone change moves the customer's country, in the update's own transaction", async () => {
      assert.deepEqual(await countryOf(id('fr')), ['FR']);
      assert.equal(await count({ languages: ['fr'] }), 2);
      await t.runtime.contacts.update(tenant, id('fr'), { phone: '+81312345678' }, testOperator);
      assert.deepEqual(await countryOf(id('fr')), ['JP']);
      assert.equal(await count({ countries: ['FR'] }), 0);
      assert.equal(await count({ countries: ['JP'], tagsAll: ['mover'] }), 1);
      assert.equal(await count({ languages: ['fr'] }), 1, 'only Switzerland now');
      // A change that leaves the phone alone leaves the country alone.
      await t.runtime.contacts.update(tenant, id('fr'), { tags: ['mover', 'moved'] }, testOperator);
      assert.deepEqual(await countryOf(id('fr')), ['JP']);
      assert.equal(await campaignReads(), 0);
    });

    test('a customer stored before countries were kept is backfilled once, by an audited system read', async () => {
      const db = t.runtime.database.db;
      // Rows as before 0024: a customer with a phone and one without, neither with a country.
      const [bsuidOnly] = await t.runtime.contacts.createMany(
        tenant,
        [{ userId: 'US.bsuid.0002' }],
        testOperator,
      );
      await sql`update contacts set country = null where id in (${id('de')}, ${bsuidOnly!.id})`.execute(db);
      // Migration 0024 settles the phoneless one without opening anything; the phone is left to the backfill.
      await settlePhonelessCountries(db);
      assert.deepEqual(await countryOf(bsuidOnly!.id), ['ZZ']);
      assert.deepEqual(await countryOf(id('de')), []);
      assert.equal(await campaignReads(), 0);
      assert.equal(await count({ countries: ['DE'] }), 1, 'the legacy customer is found');
      assert.deepEqual(await countryOf(id('de')), ['DE']);
      assert.equal(await campaignReads(), 1, 'one system read for the batch');
      assert.equal(await count({ countries: ['DE'] }), 1);
      assert.equal(await campaignReads(), 1, 'and never again');
    });

    test('over HTTP the preview answers a count, never members; a bad language is a 400 with one line', async () => {
      const res = await marketer.post('/api/v1/segments/preview', {
        definition: { languages: ['de', 'it'] },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { count: 2 });
      for (const contactId of ids.values()) assert.equal(res.body.includes(contactId), false);

      for (const bad of [['xx'], ['EN'], ['english'], Array.from({ length: 51 }, () => 'es')]) {
        const refused = await marketer.post('/api/v1/segments/preview', { definition: { languages: bad } });
        assert.equal(refused.statusCode, 400, JSON.stringify(bad));
        const { error } = refused.json<{ error: { code: string; message: string } }>();
        assert.equal(error.code, 'validation_failed');
        assert.match(error.message, /^definition\.languages/);
        assert.equal(error.message.includes('\n'), false, 'one line');
      }
      const saved = await marketer.post('/api/v1/segments', {
        name: 'German speakers',
        definition: { languages: ['de'] },
      });
      assert.equal(saved.statusCode, 201, saved.body);
      const listed = await marketer.get('/api/v1/segments');
      const segment = listed
        .json<{ data: { name: string; definition: SegmentDefinition }[] }>()
        .data.find((s) => s.name === 'German speakers');
      assert.deepEqual(segment?.definition.languages, ['de']);
    });
  });
}
