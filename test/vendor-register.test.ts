import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { runCli } from './support/cli.ts';
import { databaseTargets } from './support/targets.ts';
import { asVendor, issueKey, registerVendor, vendorBody } from './support/vendors.ts';

interface VendorJson {
  vendor: Record<string, unknown> & { id: string; status: string };
}

interface Report {
  keys: string[];
  summary: { reads: number; writes: number; denied: number; contactsRead: number; contactsWritten: number };
  entries: { keyId: string; action: string; targetType: string; outcome: string; clientIp: string }[];
}

for (const target of databaseTargets()) {
  describe(`the vendor register and the per-vendor access report (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff;

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
    });
    after(() => f.close());

    test('a vendor keeps every register field; updates and the register itself are for admins', async () => {
      const body = vendorBody(f.clock.now(), { subProcessors: ['AWS', 'Twilio'], openFindings: 2 });
      const created = await asStaff(f.app, admin).post('/api/v1/vendors', body);
      assert.equal(created.statusCode, 201);
      const v = created.json<VendorJson>().vendor;
      for (const k of Object.keys(body)) assert.deepEqual(v[k], body[k as keyof typeof body], k);
      assert.equal(v.status, 'active');
      const patched = await f.app.inject({
        method: 'PATCH',
        url: `/api/v1/vendors/${v.id}`,
        headers: { 'x-test-operator': admin.id },
        payload: { openFindings: 0, riskTier: 'medium' },
      });
      assert.equal(patched.statusCode, 200);
      assert.equal(patched.json<VendorJson>().vendor.riskTier, 'medium');
      const agent = await f.hire('agent');
      assert.equal((await asStaff(f.app, agent).get('/api/v1/vendors')).statusCode, 403);
      assert.equal(
        (await asStaff(f.app, admin).post('/api/v1/vendors', { ...body, riskTier: 'extreme' })).statusCode,
        400,
      );
      const listed = (await asStaff(f.app, admin).get('/api/v1/vendors')).json<{
        vendors: { id: string }[];
      }>();
      assert.ok(listed.vendors.some((x) => x.id === v.id));
    });

    test("the access report lists what a vendor's keys read, wrote and were refused, as JSON, CSV and from the CLI", async () => {
      const vendor = await registerVendor(f, admin, { name: 'Report Me BV' });
      const key = await issueKey(f, admin, vendor, { scopes: { contacts: 'write' } });
      const v = asVendor(f.app, key.token, '192.0.2.10');
      const page = (await v.get('/api/vendor/v1/contacts')).json<{ contacts: { id: string }[] }>();
      assert.equal(
        (await v.post(`/api/vendor/v1/contacts/${page.contacts[0]!.id}/tags`, { tag: 'lead' })).statusCode,
        200,
      );
      assert.equal(
        (await v.get('/api/vendor/v1/conversations/pid_aaaaaaaaaaaaaaaaaaaaaaaa/messages')).statusCode,
        403,
      );
      const other = await registerVendor(f, admin, { name: 'Not In Report' });
      const otherKey = await issueKey(f, admin, other);
      await asVendor(f.app, otherKey.token).get('/api/vendor/v1/contacts');

      const from = new Date(f.clock.now().getTime() - 3600_000).toISOString();
      const to = new Date(f.clock.now().getTime() + 3600_000).toISOString();
      const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
      const res = await asStaff(f.app, admin).get(`/api/v1/vendors/${vendor}/report?${query}`);
      assert.equal(res.statusCode, 200);
      const report = res.json<Report>();
      assert.deepEqual(report.keys, [key.id]);
      assert.equal(report.summary.contactsRead, f.ids.length);
      assert.equal(report.summary.writes, 1);
      assert.equal(report.summary.contactsWritten, 1);
      assert.equal(report.summary.denied, 1);
      assert.ok(report.entries.every((e) => e.keyId === key.id && e.clientIp === '192.0.2.10'));

      const csv = await asStaff(f.app, admin).get(`/api/v1/vendors/${vendor}/report?${query}&format=csv`);
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers['content-type'] as string, /text\/csv/);
      const lines = csv.body.trim().split('\r\n');
      assert.equal(lines[0], 'time,keyId,action,targetType,targetId,outcome,clientIp,requestId');
      assert.equal(lines.length, report.entries.length + 1);

      const auditor = await f.hire('auditor');
      assert.equal(
        (await asStaff(f.app, auditor).get(`/api/v1/vendors/${vendor}/report?${query}`)).statusCode,
        200,
      );
      assert.equal(
        (await asStaff(f.app, admin).get(`/api/v1/vendors/${vendor}/report?from=x&to=y`)).statusCode,
        400,
      );

      const cli = await runCli(
        [
          'vendor',
          'report',
          '--tenant',
          'acme',
          '--vendor',
          vendor,
          '--from',
          from,
          '--to',
          to,
          '--format',
          'csv',
        ],
        f.t.env,
      );
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(cli.stdout.trim().split('\r\n').length, lines.length);
      const bad = await runCli(
        ['vendor', 'report', '--tenant', 'acme', '--vendor', 'nope', '--from', from, '--to', to],
        f.t.env,
      );
      assert.notEqual(bad.code, 0);
      assert.equal(bad.stderr.trim().split('\n').length, 1, 'a one-line reason');
    });
  });
}
