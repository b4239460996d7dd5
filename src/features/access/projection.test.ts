import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Contact } from '../contacts/contacts.service.ts';
import { maskPhone } from '../vault/mask.ts';
import { createDecisionSession } from './decisions.ts';
import { DEFAULT_POLICIES } from './default-policies.ts';
import type { ContactFacts, PrincipalFacts } from './entities.ts';
import { createPdp } from './pdp.ts';
import { projectContact } from './projection.ts';

const NOW = 1_800_000_000;
const T1 = 'tn_00000000000000000000000001';
const ME = 'op_00000000000000000000000001';
const OPERATORS = [ME, 'op_00000000000000000000000002', 'op_00000000000000000000000003'];

const pdp = createPdp();
const shapeSafe = pdp.load('projection-defaults', 0, DEFAULT_POLICIES);
// Same decisions, but a literal (never matching) forces one decision per record.
const exact = pdp.load('projection-exact', 1, {
  ...DEFAULT_POLICIES,
  tp_literal: 'forbid (principal == Operator::"op_00000000000000000000000099", action, resource);',
});

const agent: PrincipalFacts = {
  tenantId: T1,
  operatorId: ME,
  role: 'agent',
  trainingExpiresAt: NOW + 3600,
  lastMfaAt: NOW - 10,
  breakGlassUntil: 0,
};

function customers(n: number): Array<{ contact: Contact; facts: ContactFacts }> {
  return Array.from({ length: n }, (_, i) => {
    const id = `ct_${String(i).padStart(26, '0')}`;
    const assigned = OPERATORS.filter((_, k) => (i >> k) & 1);
    return {
      contact: {
        id,
        tenantId: T1,
        phone: `+4915123${String(400_000 + i)}`,
        profileName: `Customer ${i}`,
        email: `c${i}@example.com`,
        attributes: { plan: 'gold' },
        tags: ['lead'],
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
      facts: { tenantId: T1, contactId: id, assignedOperators: assigned, canary: i % 7 === 0 },
    };
  });
}

describe('the projection layer', () => {
  test('an agent sees masked phones, and the customers assigned to them with phone and name in clear', () => {
    const session = createDecisionSession({ pdp, set: shapeSafe, principal: agent, nowSeconds: NOW });
    for (const { contact, facts } of customers(8)) {
      const p = projectContact(session, contact, facts);
      if (facts.assignedOperators.includes(ME)) {
        assert.equal(p.contact.phone, contact.phone);
        assert.equal(p.contact.profileName, contact.profileName);
        assert.deepEqual(p.clear, ['phone', 'profileName']);
        assert.deepEqual(p.policyIds, ['agent-clear-assigned']);
      } else {
        assert.equal(p.contact.phone, maskPhone(contact.phone!));
        assert.equal(p.contact.profileName, 'C***');
        assert.deepEqual(p.clear, []);
      }
      assert.equal(p.contact.email, 'c***@example.com');
      assert.deepEqual(p.contact.attributes, { plan: '***' });
      assert.equal(p.contact.views.email, 'masked');
    }
  });

  test('an auditor gets every personal field withheld', () => {
    const session = createDecisionSession({
      pdp,
      set: shapeSafe,
      principal: { ...agent, role: 'auditor' },
      nowSeconds: NOW,
    });
    const [{ contact, facts }] = customers(1) as [{ contact: Contact; facts: ContactFacts }];
    const p = projectContact(session, contact, facts);
    assert.deepEqual(p.contact.views, {
      phone: 'withheld',
      profileName: 'withheld',
      email: 'withheld',
      attributes: 'withheld',
    });
    assert.equal(p.contact.phone, null);
    assert.equal(p.contact.attributes, null);
  });

  test('50 contacts × 4 fields take a handful of Cedar calls, with the same views as one decision per record', () => {
    const list = customers(50);
    const cached = createDecisionSession({ pdp, set: shapeSafe, principal: agent, nowSeconds: NOW });
    const perRecord = createDecisionSession({ pdp, set: exact, principal: agent, nowSeconds: NOW });
    for (const { contact, facts } of list) {
      assert.deepEqual(
        projectContact(cached, contact, facts).contact,
        projectContact(perRecord, contact, facts).contact,
      );
    }
    // Shapes: assigned to me or not × others assigned or not × canary or not; ≤ 2 calls per field.
    assert.ok(cached.cedarCalls() <= 8 * 4 * 2, `${cached.cedarCalls()} calls`);
    assert.ok(perRecord.cedarCalls() >= 50 * 4, `${perRecord.cedarCalls()} calls`);
  });
});
