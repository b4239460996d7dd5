import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signWebhook } from './delivery.ts';
import { networkOf } from './rules.ts';
import { routeSettings, thresholdSettings, withinBusinessHours } from './settings.ts';
import { SlidingCount, SlidingDistinct, WindowMap } from './windows.ts';

describe('detection building blocks', () => {
  test('a network is the IPv4 /24 or the IPv6 /48', () => {
    assert.equal(networkOf('198.51.100.7'), '198.51.100.0/24');
    assert.equal(networkOf('2001:db8:abcd:12::1'), '2001:db8:abcd::/48');
  });

  test('business hours are judged in the tenant time zone, end exclusive', () => {
    const hours = thresholdSettings.parse({
      businessHours: { timezone: 'Asia/Shanghai', days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' },
    }).businessHours;
    assert.equal(withinBusinessHours(hours, new Date('2026-12-02T01:00:00Z')), true); // Wed 09:00 CST
    assert.equal(withinBusinessHours(hours, new Date('2026-12-02T10:00:00Z')), false); // Wed 18:00 CST
    assert.equal(withinBusinessHours(hours, new Date('2026-12-06T03:00:00Z')), false); // Sunday
    assert.equal(thresholdSettings.safeParse({ businessHours: { timezone: 'Mars/Olympus' } }).success, false);
  });

  test('sliding windows drop what falls out of the window', () => {
    const w = new SlidingCount();
    assert.equal(w.add(0, 1000), 1);
    assert.equal(w.add(500, 1000), 2);
    assert.equal(w.add(1500, 1000), 1, 'the events at 0 and 500 left the window');
    const d = new SlidingDistinct();
    d.add('a', 0, 1000);
    d.add('b', 100, 1000);
    assert.equal(d.add('a', 200, 1000), 2, 'a repeated value counts once');
    assert.equal(d.add('c', 1150, 1000), 2, 'b (at 100) left; a (at 200) and c remain');
  });

  test('keyed windows are capped: past the cap the least recently used key starts afresh', () => {
    const windows = new WindowMap(() => new SlidingCount(), 3);
    windows.get('busy').add(0, 10_000);
    for (const key of ['x', 'y']) windows.get(key).add(1, 10_000);
    windows.get('busy').add(2, 10_000); // busy is now the most recently used
    windows.get('z').add(3, 10_000); // evicts x, the least recently used
    assert.equal(windows.get('busy').add(4, 10_000), 3, 'the busy key kept its window');
    assert.equal(windows.get('x').add(5, 10_000), 1, 'the evicted key starts a new window');
  });

  test('a distinct-value window over many churning values drops exactly the old sightings', () => {
    const d = new SlidingDistinct();
    for (let i = 0; i < 50_000; i++) d.add(`v${i % 20_000}`, i, 10_000);
    assert.equal(d.add('v0', 50_000, 10_000), 10_000, 'only the last 10 s of sightings remain');
  });

  test('the webhook signature is HMAC-SHA256 over "t.body"', () => {
    const header = signWebhook('secret-0123456789abcdef', '{"a":1}', 1_700_000_000);
    const mac = createHmac('sha256', 'secret-0123456789abcdef').update('1700000000.{"a":1}').digest('hex');
    assert.equal(header, `t=1700000000,v1=${mac}`);
  });

  test('alert webhooks must use https, except to this machine', () => {
    assert.equal(routeSettings.safeParse({ webhookUrl: 'http://siem.example/hook' }).success, false);
    assert.equal(routeSettings.safeParse({ webhookUrl: 'https://siem.example/hook' }).success, true);
    assert.equal(routeSettings.safeParse({ webhookUrl: 'http://127.0.0.1:9000/hook' }).success, true);
  });
});
