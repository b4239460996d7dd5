import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff, startAccessFixture, type AccessFixture, type TestStaff } from './support/access.ts';
import { asVendor, issueKey, registerVendor } from './support/vendors.ts';
import { databaseTargets } from './support/targets.ts';

const DAY = 86_400_000;
const TOKEN = /^cv_live_[0-9a-z]{26}_[0-9a-z]{40}$/;

interface Refusal {
  error: { code: string; message: string; details: { reason: string } };
}

for (const target of databaseTargets()) {
  describe(`vendor API keys: issue, scope, IP, expiry, suspension (${target.name})`, () => {
    let f: AccessFixture;
    let admin: TestStaff;
    let vendorId: string;
    let key: { id: string; token: string };

    /** The refusals recorded for a key: actor api_key, outcome denied. */
    async function refusals(keyId: string) {
      await f.t.runtime.audit.sequence();
      const { entries } = await f.t.runtime.audit.query(f.acme.id, { actorType: 'api_key', actorId: keyId });
      return entries.filter((e) => e.outcome === 'denied');
    }

    before(async () => {
      f = await startAccessFixture(target);
      admin = await f.hire('admin');
      vendorId = await registerVendor(f, admin);
      key = await issueKey(f, admin, vendorId);
    });
    after(() => f.close());

    test('a key is cv_<env>_<id>_<secret>, shown once, stored only as a keyed hash', async () => {
      assert.match(key.token, TOKEN);
      const listed = await asStaff(f.app, admin).get(`/api/v1/vendors/${vendorId}/keys`);
      assert.equal(listed.statusCode, 200);
      const secret = key.token.split('_')[3]!;
      assert.ok(!listed.body.includes(secret), 'the secret is never listed');
      assert.match(
        listed.body,
        new RegExp(key.token.split('_').slice(0, 3).join('_')),
        'the prefix is visible',
      );
      const row = await f.t.runtime.database.db
        .selectFrom('vendor_api_keys')
        .selectAll()
        .where('id', '=', key.id)
        .executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(row).includes(secret));
      assert.equal(Buffer.from(row.secret_hash).length, 32);
    });

    test('creating a key needs a fresh second factor, a signed agreement and an expiry of at most 366 days', async () => {
      const body = { label: 'x', scopes: { contacts: 'read' }, expiresInDays: 30 };
      const stale = await asStaff(f.app, admin, 'stale').post(`/api/v1/vendors/${vendorId}/keys`, body);
      assert.equal(stale.statusCode, 401);
      assert.equal(stale.json<Refusal>().error.code, 'step_up_required');
      const tooLong = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendorId}/keys`, {
        ...body,
        expiresInDays: 400,
      });
      assert.equal(tooLong.statusCode, 400);
      const noExpiry = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendorId}/keys`, {
        label: 'x',
        scopes: {},
      });
      assert.equal(noExpiry.statusCode, 400);
      const noDpa = await registerVendor(f, admin, { name: 'No DPA Ltd', dpaSignedAt: null });
      const refused = await asStaff(f.app, admin).post(`/api/v1/vendors/${noDpa}/keys`, body);
      assert.equal(refused.statusCode, 409);
      const clearPhone = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendorId}/keys`, {
        ...body,
        fields: { phone: 'clear' },
      });
      assert.equal(clearPhone.statusCode, 400, 'clear phone needs the phone category in the agreement');
      const agent = await f.hire('agent');
      assert.equal(
        (await asStaff(f.app, agent).post(`/api/v1/vendors/${vendorId}/keys`, body)).statusCode,
        403,
      );
    });

    test('a valid key reads a page of contacts, and the use is audited with the key id and client IP', async () => {
      const res = await asVendor(f.app, key.token, '198.51.100.20').get('/api/vendor/v1/contacts');
      assert.equal(res.statusCode, 200);
      assert.equal(res.json<{ contacts: unknown[] }>().contacts.length, f.ids.length);
      await f.t.runtime.audit.sequence();
      const { entries } = await f.t.runtime.audit.query(f.acme.id, { actorType: 'api_key', actorId: key.id });
      const reads = entries.filter((e) => e.action === 'sensitive_read' && e.target.type === 'contact');
      assert.equal(reads.length, f.ids.length);
      assert.ok(reads.every((e) => e.clientIp === '198.51.100.20'));
    });

    test('no key, a malformed key or a wrong secret is a 401; a wrong secret of a known key is audited', async () => {
      assert.equal((await f.app.inject('/api/vendor/v1/contacts')).statusCode, 401);
      assert.equal((await asVendor(f.app, 'cv_live_nope').get('/api/vendor/v1/contacts')).statusCode, 401);
      const forged = `${key.token.slice(0, -40)}${'a'.repeat(40)}`;
      const res = await asVendor(f.app, forged).get('/api/vendor/v1/contacts');
      assert.equal(res.statusCode, 401);
      assert.equal(res.json<Refusal>().error.details.reason, 'bad_secret');
      assert.ok((await refusals(key.id)).some((e) => e.action === 'authn_token_invalid'));
    });

    test('a key outside its scope is refused with 403 and an authz_fail entry', async () => {
      const res = await asVendor(f.app, key.token).post(
        `/api/vendor/v1/contacts/pid_${'a'.repeat(40)}/tags`,
        { tag: 'vip' },
      );
      assert.equal(res.statusCode, 403);
      const body = res.json<Refusal>();
      assert.equal(body.error.details.reason, 'scope');
      assert.match(body.error.message, /contacts:read; this request needs contacts:write/);
      const messages = await asVendor(f.app, key.token).get(
        `/api/vendor/v1/conversations/pid_${'a'.repeat(40)}/messages`,
      );
      assert.equal(messages.statusCode, 403);
      const denied = await refusals(key.id);
      assert.ok(denied.some((e) => e.action === 'authz_fail' && e.clientIp === '127.0.0.1'));
    });

    test('a key used from outside its IP allowlist (IPv4 or IPv6) is refused and audited', async () => {
      const bound = await issueKey(f, admin, vendorId, { ipAllowlist: ['203.0.113.0/24', '2001:db8::/32'] });
      const inside4 = await asVendor(f.app, bound.token, '203.0.113.7').get('/api/vendor/v1/contacts');
      assert.equal(inside4.statusCode, 200);
      const inside6 = await asVendor(f.app, bound.token, '2001:db8::42').get('/api/vendor/v1/contacts');
      assert.equal(inside6.statusCode, 200);
      const outside = await asVendor(f.app, bound.token, '198.51.100.7').get('/api/vendor/v1/contacts');
      assert.equal(outside.statusCode, 403);
      assert.equal(outside.json<Refusal>().error.details.reason, 'ip_not_allowed');
      const outside6 = await asVendor(f.app, bound.token, '2001:db9::1').get('/api/vendor/v1/contacts');
      assert.equal(outside6.statusCode, 403);
      const denied = await refusals(bound.id);
      assert.equal(denied.length, 2);
      assert.deepEqual(denied.map((e) => e.clientIp).sort(), ['198.51.100.7', '2001:db9::1']);
    });

    test('a key over its rate limit gets 429 with Retry-After', async () => {
      const slow = await issueKey(f, admin, vendorId, { ratePerMinute: 2 });
      for (let i = 0; i < 2; i++)
        assert.equal((await asVendor(f.app, slow.token).get('/api/vendor/v1/me')).statusCode, 200);
      const res = await asVendor(f.app, slow.token).get('/api/vendor/v1/me');
      assert.equal(res.statusCode, 429);
      assert.ok(Number(res.headers['retry-after']) >= 1);
      assert.equal((await refusals(slow.id)).filter((e) => e.action === 'authz_fail').length, 1);
    });

    test('a revoked key is refused at once and audited', async () => {
      const doomed = await issueKey(f, admin, vendorId);
      const revoked = await asStaff(f.app, admin).post(`/api/v1/api-keys/${doomed.id}/revoke`);
      assert.equal(revoked.statusCode, 200);
      const res = await asVendor(f.app, doomed.token).get('/api/vendor/v1/contacts');
      assert.equal(res.statusCode, 401);
      assert.equal(res.json<Refusal>().error.details.reason, 'revoked');
      assert.ok((await refusals(doomed.id)).some((e) => e.action === 'authn_token_invalid'));
    });

    test('a suspended vendor: every key refused with the reason; reactivation is audited', async () => {
      const other = await issueKey(f, admin, vendorId);
      const suspend = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendorId}/suspend`, {
        reason: 'incident inc_1: unusual export volume',
      });
      assert.equal(suspend.statusCode, 200);
      for (const k of [key, other]) {
        const res = await asVendor(f.app, k.token).get('/api/vendor/v1/contacts');
        assert.equal(res.statusCode, 403);
        assert.equal(res.json<Refusal>().error.details.reason, 'vendor_suspended');
        assert.match(res.json<Refusal>().error.message, /unusual export volume/);
      }
      assert.ok((await refusals(other.id)).some((e) => e.action === 'authz_fail'));
      const back = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendorId}/reactivate`, {
        reason: 'incident closed, keys reviewed',
      });
      assert.equal(back.statusCode, 200);
      assert.equal((await asVendor(f.app, key.token).get('/api/vendor/v1/contacts')).statusCode, 200);
      const log = await f.auditOf({ action: 'vendor_reactivated' });
      assert.equal(log.length, 1);
      assert.equal(log[0]!.actor.id, admin.id);
    });

    test('an overdue review suspends the vendor on first use (and says why); the sweep catches an expired agreement', async () => {
      const now = f.clock.now().getTime();
      const late = await registerVendor(f, admin, {
        name: 'Review Soon GmbH',
        nextReviewAt: new Date(now + 2 * DAY).toISOString(),
      });
      const lateKey = await issueKey(f, admin, late);
      const expiring = await registerVendor(f, admin, {
        name: 'DPA Ends Inc',
        dpaExpiresAt: new Date(now + 2 * DAY).toISOString(),
      });
      const expiringKey = await issueKey(f, admin, expiring, { expiresInDays: 1 });
      assert.equal((await asVendor(f.app, lateKey.token).get('/api/vendor/v1/contacts')).statusCode, 200);
      assert.equal((await asVendor(f.app, expiringKey.token).get('/api/vendor/v1/contacts')).statusCode, 200);

      f.clock.advance(DAY + 60_000);
      const expired = await asVendor(f.app, expiringKey.token).get('/api/vendor/v1/contacts');
      assert.equal(expired.statusCode, 401, 'after its expiry a key is refused');
      assert.equal(expired.json<Refusal>().error.details.reason, 'expired');
      assert.ok((await refusals(expiringKey.id)).some((e) => e.action === 'authn_token_invalid'));

      f.clock.advance(2 * DAY);
      const res = await asVendor(f.app, lateKey.token).get('/api/vendor/v1/contacts');
      assert.equal(res.statusCode, 403);
      assert.match(res.json<Refusal>().error.message, /review_overdue/);
      assert.equal(
        await f.t.runtime.vendors.sweep(),
        1,
        'the sweep suspends the vendor whose agreement expired',
      );
      const shown = await asStaff(f.app, admin).get(`/api/v1/vendors/${expiring}`);
      assert.equal(
        shown.json<{ vendor: { status: string; suspendedReason: string } }>().vendor.suspendedReason,
        'dpa_expired',
      );
      const suspended = await f.auditOf({ action: 'vendor_suspended' });
      assert.ok(suspended.some((e) => e.target.id === late && e.actor.type === 'system'));
      const again = await asStaff(f.app, admin).post(`/api/v1/vendors/${late}/reactivate`, {
        reason: 'please let us in',
      });
      assert.equal(again.statusCode, 409, 'no reactivation while the review is overdue');
    });
  });
}
