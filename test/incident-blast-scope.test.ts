import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { asVendor, issueKey, registerVendor } from './support/vendors.ts';
import { databaseTargets } from './support/targets.ts';

const HOUR = 3_600_000;
const IP_A = '198.51.100.20';
const IP_B = '203.0.113.9';

interface Blast {
  customers: Array<{ contactId: string; records: number; fields: string[]; actions: string[] }>;
  totals: { customers: number; records: number; fields: string[] };
  throughSeq: number;
  digest: string;
}
interface Draft {
  deadlines: Array<{ name: string; due: string; hoursLeft: number; overdue: boolean }>;
  gdprArt33: Record<string, unknown>;
  missing: string[];
}

for (const target of databaseTargets()) {
  describe(`blast radius by API key and address; extra reporting clocks (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff, auditor: TestStaff;
    let key: { id: string; token: string };
    let start: string, between: string;

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
      auditor = await f.hire('auditor');
      const vendorId = await registerVendor(f, admin);
      // The key sees the profile name in clear; the phone and e-mail only masked.
      key = await issueKey(f, admin, vendorId, {
        fields: { phone: 'masked', profileName: 'clear', email: 'masked', attributes: 'omit' },
      });
      start = f.clock.now().toISOString();
      f.clock.advance(60_000);
      // The key reads every customer from address A, an hour later again from address B.
      assert.equal((await asVendor(f.app, key.token, IP_A).get('/api/vendor/v1/contacts')).statusCode, 200);
      f.clock.advance(HOUR);
      between = f.clock.now().toISOString();
      f.clock.advance(HOUR);
      assert.equal((await asVendor(f.app, key.token, IP_B).get('/api/vendor/v1/contacts')).statusCode, 200);
      f.clock.advance(60_000);
      await f.t.runtime.audit.sequence();
    });
    after(() => f.close());

    async function open(suspect: { type: string; id: string }): Promise<string> {
      const res = await asStaff(f.app, admin).post('/api/v1/incidents', {
        title: 'Vendor key leaked in a public repository',
        suspect,
        from: start,
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json<{ incident: { id: string } }>().incident.id;
    }
    const blast = async (incidentId: string, query = '') => {
      const res = await asStaff(f.app, auditor).get(`/api/v1/incidents/${incidentId}/blast-radius${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<Blast>();
    };

    test('by API key: every customer the key read, with fields and record counts, reproducible', async () => {
      const id = await open({ type: 'api_key', id: key.id });
      const b = await blast(id);
      assert.deepEqual(
        b.customers.map((c) => c.contactId),
        [...f.ids].sort(),
      );
      assert.equal(b.totals.customers, f.ids.length);
      assert.equal(b.totals.records, 2 * f.ids.length, 'two reads of each customer');
      for (const c of b.customers) {
        assert.equal(c.records, 2);
        assert.deepEqual(c.actions, ['sensitive_read']);
        assert.deepEqual(c.fields, ['profileName'], 'the fields read in clear, from the encrypted detail');
      }
      assert.deepEqual(b.totals.fields, ['profileName']);
      // The same query answers the same digest; a narrower time range answers fewer records.
      assert.equal((await blast(id)).digest, b.digest);
      const early = await blast(
        id,
        `?suspectType=api_key&suspectId=${key.id}&from=${encodeURIComponent(start)}&to=${encodeURIComponent(between)}`,
      );
      assert.equal(early.totals.records, f.ids.length);
      assert.notEqual(early.digest, b.digest);
    });

    test('by address: only what was read from that address; an unused address has no blast radius', async () => {
      const id = await open({ type: 'ip', id: IP_B });
      const b = await blast(id);
      assert.equal(b.totals.customers, f.ids.length);
      assert.equal(b.totals.records, f.ids.length, 'only the reads from address B');
      const a = await blast(id, `?suspectType=ip&suspectId=${IP_A}`);
      assert.equal(a.totals.records, f.ids.length);
      assert.notEqual(a.digest, b.digest);
      const none = await blast(id, '?suspectType=ip&suspectId=192.0.2.77');
      assert.deepEqual(none.customers, []);
      const csv = await asStaff(f.app, auditor).get(
        `/api/v1/incidents/${id}/blast-radius?format=csv&suspectType=ip&suspectId=${IP_A}`,
      );
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      const lines = csv.body.trim().split('\n');
      assert.equal(lines[0], 'contact_id,records,fields,actions,first,last');
      assert.deepEqual(
        lines.slice(1).map((l) => l.split(',')[0]),
        [...f.ids].sort(),
      );
      const bad = await asStaff(f.app, auditor).get(
        `/api/v1/incidents/${id}/blast-radius?suspectType=ip&suspectId=not-an-address`,
      );
      assert.equal(bad.statusCode, 400);
    });

    test('extra reporting clocks: a 4-hour rule applies only from its number of individuals, next to the 72-hour clock', async () => {
      const id = await open({ type: 'api_key', id: key.id });
      const draft = async () => {
        const res = await asStaff(f.app, auditor).get(`/api/v1/incidents/${id}/regulator-draft`);
        assert.equal(res.statusCode, 200, res.body);
        return res.json<Draft>();
      };
      // Default extra rule: CAC 4 h at >= 1M individuals; four customers do not reach it.
      const small = await draft();
      assert.deepEqual(
        small.deadlines.map((d) => d.name),
        ['GDPR Art. 33(1): supervisory authority, 72 h from awareness'],
      );
      const clock4h = (minSubjects: number) => ({
        routes: {
          dpoContact: 'DPO, dpo@acme.example',
          extraDeadlines: [{ name: 'CAC 4 h (test threshold)', minSubjects, hours: 4 }],
        },
      });
      await f.t.runtime.detection.settings.update(f.acme.id, clock4h(f.ids.length + 1));
      assert.equal((await draft()).deadlines.length, 1, 'one individual short of the threshold');
      await f.t.runtime.detection.settings.update(f.acme.id, clock4h(f.ids.length));
      const large = await draft();
      assert.equal(large.deadlines.length, 2);
      const [gdpr, cac] = large.deadlines;
      assert.equal(cac!.name, 'CAC 4 h (test threshold)');
      assert.equal(Date.parse(cac!.due) - Date.parse(gdpr!.due), -68 * HOUR, 'both count from awareness');
      assert.equal(cac!.overdue, false);
      assert.ok(cac!.hoursLeft <= 4 && cac!.hoursLeft > 3, String(cac!.hoursLeft));
      // Five hours later the 4-hour clock is overdue, the 72-hour one is not.
      f.clock.advance(5 * HOUR);
      const later = await draft();
      assert.equal(later.deadlines[1]!.overdue, true);
      assert.equal(later.deadlines[0]!.overdue, false);
      assert.equal(later.gdprArt33.reasonsForDelay, 'not applicable (within 72 hours)');
      // Past 72 hours the reasons for the delay become a field the DPO must fill.
      f.clock.advance(70 * HOUR);
      const late = await draft();
      assert.equal(late.deadlines[0]!.overdue, true);
      assert.ok(late.missing.includes('gdprArt33.reasonsForDelay'), late.missing.join(','));
    });
  });
}
