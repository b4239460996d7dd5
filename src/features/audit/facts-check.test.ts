import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditFacts } from './audit.schema.ts';
import { checkedFacts } from './facts-check.ts';

const base = {
  tenantId: 'tn_01JABCDEF',
  actor: { type: 'operator', id: 'op_1' },
  action: 'sensitive_read',
  target: { type: 'contact', id: 'ct_1' },
  outcome: 'success',
  reason: 'customer called about order 4411',
  policyIds: ['agent-assigned'],
  clientIp: '192.0.2.10',
  requestId: 'rq_1',
};

// Each entry replaces one field of `base` (undefined removes it).
const variants: Array<[string, Record<string, unknown>]> = [
  ['minimal', { reason: undefined, policyIds: undefined, clientIp: undefined, requestId: undefined }],
  ['session', { sessionId: 'ses_1' }],
  ['system actor', { actor: { type: 'system', id: 'sequencer' } }],
  ['extra top-level key (passthrough)', { subject: { contactId: 'ct_1' } }],
  ['empty policy list', { policyIds: [] }],
  ['50 policies', { policyIds: Array.from({ length: 50 }, (_, i) => `p${i}`) }],
  ['51 policies', { policyIds: Array.from({ length: 51 }, (_, i) => `p${i}`) }],
  ['sparse policy list', { policyIds: [, 'p1'] }], // eslint-disable-line no-sparse-arrays
  ['policy id with a space', { policyIds: ['agent assigned'] }],
  ['numeric policy id', { policyIds: [7] }],
  ['missing tenant', { tenantId: undefined }],
  ['empty tenant', { tenantId: '' }],
  ['tenant of 128', { tenantId: 't'.repeat(128) }],
  ['tenant of 129', { tenantId: 't'.repeat(129) }],
  ['tenant with a slash and colon', { tenantId: 'a/b:c.d-e_f' }],
  ['tenant with unicode', { tenantId: 'tenant-é' }],
  ['tenant as number', { tenantId: 12 }],
  ['unknown actor type', { actor: { type: 'robot', id: 'r1' } }],
  ['actor with an extra key', { actor: { type: 'operator', id: 'op_1', name: 'Z' } }],
  ['actor without id', { actor: { type: 'operator' } }],
  ['actor as array', { actor: ['operator', 'op_1'] }],
  ['actor as class instance', { actor: Object.assign(new (class A {})(), { type: 'operator', id: 'x' }) }],
  ['unknown action', { action: 'sensitive_peek' }],
  ['action as number', { action: 1 }],
  ['target with free text', { target: { type: 'contact', id: 'Zhang Wei' } }],
  ['target with an extra key', { target: { type: 'contact', id: 'ct_1', phone: '+8613800000000' } }],
  ['unknown outcome', { outcome: 'ok' }],
  ['empty reason', { reason: '' }],
  ['reason of 2000', { reason: 'x'.repeat(2000) }],
  ['reason of 2001', { reason: 'x'.repeat(2001) }],
  ['reason as number', { reason: 5 }],
  ['detail', { detail: { k: 'v' } }],
  ['bad detail', { detail: 'text' }],
  ['IPv6', { clientIp: '2001:db8::1' }],
  ['IPv4 out of range', { clientIp: '256.1.1.1' }],
  ['IPv4 with leading zero', { clientIp: '01.2.3.4' }],
  ['not an address', { clientIp: 'localhost' }],
  ['request id with a space', { requestId: 'rq 1' }],
  ['null request id', { requestId: null }],
  ['session id too long', { sessionId: 's'.repeat(129) }],
];

const eventOf = (patch: Record<string, unknown>): Record<string, unknown> => {
  const e: Record<string, unknown> = { ...base, ...patch };
  for (const [k, v] of Object.entries(e)) if (v === undefined) delete e[k];
  return e;
};

test('the fast check never accepts what the schema rejects, and accepts events unchanged', () => {
  for (const [name, patch] of variants) {
    const event = eventOf(patch);
    const checked = checkedFacts(event);
    const parsed = auditFacts.safeParse(event);
    if (checked !== undefined) {
      assert.ok(parsed.success, `${name}: accepted by the fast check, rejected by the schema`);
      assert.deepEqual(parsed.data, event, `${name}: the schema would have changed it`);
      assert.equal(checked, event);
    }
  }
});

test('the fast check takes the common events (the path every append takes)', () => {
  const common = [
    'minimal',
    'session',
    'system actor',
    'extra top-level key (passthrough)',
    'empty policy list',
    '50 policies',
    'tenant of 128',
    'tenant with a slash and colon',
    'reason of 2000',
  ];
  assert.ok(checkedFacts(eventOf({})), 'base');
  for (const name of common) {
    const patch = variants.find(([n]) => n === name)![1];
    assert.ok(checkedFacts(eventOf(patch)), name);
  }
});

test('what the fast check declines is settled by the schema', () => {
  const declined = variants.filter(([, patch]) => checkedFacts(eventOf(patch)) === undefined);
  // Valid but declined (the schema's path): detail, IPv6 and an actor that is not a plain object.
  // Everything else declined is invalid.
  const validButDeclined = declined
    .filter(([, p]) => auditFacts.safeParse(eventOf(p)).success)
    .map(([n]) => n);
  assert.deepEqual(validButDeclined.sort(), ['IPv6', 'actor as class instance', 'detail']);
  assert.ok(declined.length >= 25);
});

test('non-objects are declined', () => {
  for (const v of [null, undefined, 'event', 42, [base]]) assert.equal(checkedFacts(v), undefined);
});
