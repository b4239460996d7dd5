import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { compileAllowlist, normalizeIp } from '../src/features/api-keys/ip-allowlist.ts';
import { createKeyRateLimiter } from '../src/features/api-keys/rate-limit.ts';
import { hashSecret, newToken, parseToken, sameHash } from '../src/features/api-keys/token.ts';
import { signVendorWebhook, verifyVendorWebhook } from '../src/features/vendor-webhooks/signature.ts';
import { fromHandle, pseudonym, toHandle, type VendorKeys } from '../src/features/vendors/pseudonyms.ts';
import { complianceProblem } from '../src/features/vendors/vendors.service.ts';

const keys = (): VendorKeys => ({ mac: randomBytes(32), enc: randomBytes(32) });
const CONTACT = 'ct_01jd3k0000abcdefghjkmnpqrs';

describe('vendor building blocks', () => {
  test('a handle maps back only under the same vendor keys and only to the expected kind of id', () => {
    const a = keys();
    const b = keys();
    const h = toHandle(a, CONTACT);
    assert.equal(h, toHandle(a, CONTACT), 'stable');
    assert.ok(!h.includes(CONTACT.slice(3)), 'reveals nothing of the id');
    assert.equal(fromHandle(a, h, 'ct'), CONTACT);
    assert.equal(fromHandle(a, h, 'cv'), undefined, 'a contact handle is not a conversation');
    assert.equal(fromHandle(b, h, 'ct'), undefined, "another vendor's keys cannot open it");
    const raw = Buffer.from(h.slice(4), 'base64url');
    raw[raw.length - 1]! ^= 1;
    assert.equal(
      fromHandle(a, `pid_${raw.toString('base64url')}`, 'ct'),
      undefined,
      'a tampered handle fails',
    );
    assert.equal(fromHandle(a, 'pid_short', 'ct'), undefined);
  });

  test('pseudonyms are stable per vendor and field, and differ across vendors and fields', () => {
    const a = keys();
    assert.equal(pseudonym(a, 'phone', CONTACT), pseudonym(a, 'phone', CONTACT));
    assert.match(pseudonym(a, 'phone', CONTACT), /^psn_[0-9a-z]{26}$/);
    assert.notEqual(pseudonym(a, 'phone', CONTACT), pseudonym(a, 'profileName', CONTACT));
    assert.notEqual(pseudonym(a, 'phone', CONTACT), pseudonym(keys(), 'phone', CONTACT));
  });

  test('tokens parse, and only the right secret hashes the same under the tenant key', () => {
    const { token, secret, prefix } = newToken('live', '01jd3k0000abcdefghjkmnpqrs');
    assert.match(token, /^cv_live_[0-9a-z]{26}_[0-9a-z]{40}$/);
    assert.ok(token.startsWith(`${prefix}_`));
    const parsed = parseToken(token)!;
    assert.equal(parsed.keyId, 'ak_01jd3k0000abcdefghjkmnpqrs');
    const k = randomBytes(32);
    const stored = hashSecret(k, parsed.keyId, secret);
    assert.ok(sameHash(hashSecret(k, parsed.keyId, parsed.secret), stored));
    assert.ok(!sameHash(hashSecret(k, parsed.keyId, 'x'.repeat(40)), stored));
    assert.ok(!sameHash(hashSecret(randomBytes(32), parsed.keyId, secret), stored), 'another tenant key');
    for (const bad of ['cv_live_x', `${token}x`, token.replace('cv_live', 'cv_prod'), `Bearer ${token}`])
      assert.equal(parseToken(bad), undefined, bad);
  });

  test('the IP allowlist matches CIDR blocks of both families and IPv4-mapped addresses', () => {
    const list = compileAllowlist(['203.0.113.0/24', '2001:db8::/32', '192.0.2.7']);
    assert.ok(list.allows('203.0.113.200'));
    assert.ok(list.allows('::ffff:203.0.113.9'));
    assert.ok(list.allows('2001:db8:1::5'));
    assert.ok(list.allows('192.0.2.7'));
    assert.ok(!list.allows('192.0.2.8'));
    assert.ok(!list.allows('2001:db9::1'));
    assert.ok(!list.allows('not-an-ip'));
    assert.ok(compileAllowlist([]).allows('198.51.100.1'), 'an empty list allows any address');
    assert.equal(normalizeIp('::ffff:10.0.0.1'), '10.0.0.1');
  });

  test('the rate limiter refuses past the limit and says when to retry', () => {
    let now = 1_000_000;
    const limiter = createKeyRateLimiter(() => now);
    assert.ok(limiter.take('k', 2).ok && limiter.take('k', 2).ok);
    const refused = limiter.take('k', 2);
    assert.ok(!refused.ok && refused.retryAfterSeconds === 60 && refused.first);
    const again = limiter.take('k', 2);
    assert.ok(!again.ok && !again.first, 'only the first refusal of a window is flagged for the audit');
    now += 60_000;
    assert.ok(limiter.take('k', 2).ok);
  });

  test('a webhook signature fails for a replay, a changed body, another secret or a malformed header', () => {
    const at = new Date('2026-11-29T08:00:00Z');
    const body = '{"id":"evt_1","type":"message.received"}';
    const header = signVendorWebhook('whsec_a', body, at);
    assert.equal(verifyVendorWebhook('whsec_a', header, body, at), true);
    assert.equal(
      verifyVendorWebhook('whsec_a', header, Buffer.from(body), new Date(at.getTime() + 299_000)),
      true,
    );
    assert.equal(verifyVendorWebhook('whsec_a', header, body, new Date(at.getTime() + 301_000)), false);
    assert.equal(verifyVendorWebhook('whsec_a', header, body, new Date(at.getTime() - 301_000)), false);
    assert.equal(verifyVendorWebhook('whsec_a', header, `${body} `, at), false);
    assert.equal(verifyVendorWebhook('whsec_b', header, body, at), false);
    for (const bad of [undefined, '', 't=abc,v1=00', header.replace(/v1=.*/, 'v1=zz'), header.split(',')[0]])
      assert.equal(verifyVendorWebhook('whsec_a', bad, body, at), false);
  });

  test('a vendor is out of compliance after its review date or its agreement expiry', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    assert.equal(complianceProblem({ nextReviewAt: '2026-07-01T00:00:00Z', dpaExpiresAt: null }, now), null);
    assert.equal(
      complianceProblem({ nextReviewAt: '2026-05-01T00:00:00Z', dpaExpiresAt: null }, now),
      'review_overdue',
    );
    assert.equal(
      complianceProblem({ nextReviewAt: '2026-07-01T00:00:00Z', dpaExpiresAt: '2026-05-31T00:00:00Z' }, now),
      'dpa_expired',
    );
  });
});
