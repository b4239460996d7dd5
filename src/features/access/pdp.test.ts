import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OperatorRole } from '../operators/operators.table.ts';
import { ACTION_RESOURCES, ACTIONS, type ActionId } from './cedar-schema.ts';
import { createDecisionSession } from './decisions.ts';
import { DEFAULT_POLICIES } from './default-policies.ts';
import {
  approvalEntity,
  contactEntity,
  conversationEntities,
  tenantResource,
  type ContactFacts,
  type PrincipalFacts,
} from './entities.ts';
import { checkPolicy, checkPolicySet, createPdp, type Entity } from './pdp.ts';

const NOW = 1_800_000_000;
const T1 = 'tn_00000000000000000000000001';
const T2 = 'tn_00000000000000000000000002';
const ME = 'op_00000000000000000000000001';
const OTHER = 'op_00000000000000000000000002';
const ROLES: OperatorRole[] = ['agent', 'marketer', 'admin', 'auditor', 'owner'];
type Situation = 'assigned' | 'unassigned' | 'otherTenant';

const pdp = createPdp();
const defaults = pdp.load('test-defaults', 0, DEFAULT_POLICIES);

function principal(role: OperatorRole, over: Partial<PrincipalFacts> = {}): PrincipalFacts {
  return {
    tenantId: T1,
    operatorId: ME,
    role,
    trainingExpiresAt: NOW + 86_400,
    lastMfaAt: NOW - 30,
    breakGlassUntil: 0,
    ...over,
  };
}

function contact(situation: Situation, id = 'ct_00000000000000000000000001'): ContactFacts {
  return {
    tenantId: situation === 'otherTenant' ? T2 : T1,
    contactId: id,
    assignedOperators: situation === 'unassigned' ? [OTHER] : [ME],
    canary: false,
  };
}

/** The resource an action is asked about, in each situation. */
function resourceFor(action: ActionId, situation: Situation): { resource: Entity; related?: Entity[] } {
  const tenant = situation === 'otherTenant' ? T2 : T1;
  const type = ACTION_RESOURCES[action];
  if (type === 'Contact') return { resource: contactEntity(contact(situation)) };
  if (type === 'Conversation')
    return conversationEntities('cv_00000000000000000000000001', contact(situation));
  if (type === 'ApprovalRequest')
    return {
      resource: approvalEntity(
        tenant,
        'ap_00000000000000000000000001',
        situation === 'unassigned' ? OTHER : ME,
        'contacts_export',
      ),
    };
  return { resource: tenantResource(type, tenant) };
}

function decide(
  p: PrincipalFacts,
  action: ActionId,
  situation: Situation,
  options: { field?: string; hasReason?: boolean } = {},
) {
  const session = createDecisionSession({ pdp, set: defaults, principal: p, nowSeconds: NOW });
  const { resource, related } = resourceFor(action, situation);
  return session.decide(action, resource, {
    field: 'phone',
    hasReason: true,
    ...options,
    ...(related ? { related } : {}),
  });
}

const same = (roles: OperatorRole[]) => ({ assigned: roles, unassigned: roles });
const STAFF_ADMINS: OperatorRole[] = ['admin', 'owner'];

/** DESIGN.md's role table, action by action ("assigned" = assigned customer, or one's own request). */
const EXPECTED: Record<ActionId, { assigned: OperatorRole[]; unassigned: OperatorRole[] }> = {
  listContacts: same(['agent', 'marketer', 'admin', 'owner']),
  readMasked: same(['agent', 'marketer', 'admin', 'owner']),
  readClear: { assigned: ['agent'], unassigned: [] },
  revealField: { assigned: ['agent'], unassigned: [] },
  updateContact: { assigned: ['agent', 'admin', 'owner'], unassigned: STAFF_ADMINS },
  exportContacts: same(STAFF_ADMINS),
  readMessages: { assigned: ['agent'], unassigned: [] },
  sendMessage: { assigned: ['agent'], unassigned: [] },
  revealRestricted: same(['owner']),
  readSegments: same(['marketer', 'admin', 'auditor', 'owner']),
  manageCampaigns: same(['marketer']),
  readAudit: same(['auditor']),
  verifyAudit: same(['auditor']),
  exportAudit: same(['auditor']),
  readIncidents: same(['auditor']),
  manageIncidents: same(STAFF_ADMINS),
  manageKeys: same(STAFF_ADMINS),
  destroyKey: same(STAFF_ADMINS),
  manageOperators: same(STAFF_ADMINS),
  manageChannels: same(STAFF_ADMINS),
  manageVendors: same(STAFF_ADMINS),
  manageApiKeys: same(STAFF_ADMINS),
  manageAssignments: same(STAFF_ADMINS),
  manageTraining: same(STAFF_ADMINS),
  breakGlass: same(STAFF_ADMINS),
  approve: { assigned: [], unassigned: ['owner'] },
  readPolicies: same(['admin', 'auditor', 'owner']),
  managePolicies: same(['owner']),
  readGrants: same(['owner']),
  manageConsent: same(['marketer', 'admin', 'owner']),
  readDataRequests: same(['admin', 'auditor', 'owner']),
  handleDataRequests: same(STAFF_ADMINS),
  manageOwners: same(['owner']),
};

describe('the default policy set', () => {
  test('validates against the schema in strict mode', () => {
    assert.deepEqual(checkPolicySet(DEFAULT_POLICIES), []);
  });

  test('the authorization matrix: every role × every action × assigned / not assigned / other tenant', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), [...ACTIONS].sort());
    let cases = 0;
    for (const action of ACTIONS) {
      for (const role of ROLES) {
        for (const situation of ['assigned', 'unassigned', 'otherTenant'] as const) {
          const d = decide(principal(role), action, situation);
          const expected = situation === 'otherTenant' ? false : EXPECTED[action][situation].includes(role);
          assert.equal(
            d.allowed,
            expected,
            `${role} ${action} ${situation}: expected ${expected ? 'allow' : 'deny'}`,
          );
          assert.equal(d.errored, false);
          if (situation === 'otherTenant') assert.ok(d.policyIds.includes('tenant-isolation'));
          if (d.allowed)
            assert.ok(d.policyIds.length > 0 && d.policyIds.every((id) => id in DEFAULT_POLICIES));
          cases++;
        }
      }
    }
    assert.equal(cases, ACTIONS.length * ROLES.length * 3);
  });

  test('decisions name the stable policy ids, never policy0…N', () => {
    assert.deepEqual(decide(principal('agent'), 'readClear', 'assigned').policyIds, ['agent-clear-assigned']);
    assert.deepEqual(decide(principal('owner'), 'approve', 'assigned').policyIds, ['four-eyes']);
  });

  test('an assigned agent sees phone and name in clear but only a mask of the e-mail', () => {
    assert.equal(decide(principal('agent'), 'readClear', 'assigned', { field: 'profileName' }).allowed, true);
    assert.equal(decide(principal('agent'), 'readClear', 'assigned', { field: 'email' }).allowed, false);
    assert.equal(decide(principal('agent'), 'readMasked', 'assigned', { field: 'email' }).allowed, true);
  });

  test('lapsed training forbids clear reads and reveals but not masked reads', () => {
    const lapsed = principal('agent', { trainingExpiresAt: NOW - 1 });
    for (const action of ['readClear', 'revealField'] as const) {
      const d = decide(lapsed, action, 'assigned');
      assert.equal(d.allowed, false);
      assert.deepEqual(d.policyIds, ['training-lapsed']);
    }
    assert.equal(decide(lapsed, 'readMasked', 'assigned').allowed, true);
    assert.equal(
      decide(principal('admin', { trainingExpiresAt: 0 }), 'exportContacts', 'assigned').allowed,
      false,
    );
  });

  test('a second factor older than five minutes forbids reveals, exports, break-glass and approvals', () => {
    const stale = (role: OperatorRole) => principal(role, { lastMfaAt: NOW - 301 });
    assert.deepEqual(decide(stale('agent'), 'revealField', 'assigned').policyIds, ['step-up-required']);
    assert.equal(decide(stale('admin'), 'breakGlass', 'assigned').allowed, false);
    assert.equal(decide(stale('owner'), 'approve', 'unassigned').allowed, false);
    assert.equal(decide(stale('agent'), 'readClear', 'assigned').allowed, true, 'viewing needs no step-up');
  });

  test('reveals, exports and break-glass need a reason', () => {
    assert.deepEqual(decide(principal('agent'), 'revealField', 'assigned', { hasReason: false }).policyIds, [
      'reason-required',
    ]);
    assert.equal(decide(principal('admin'), 'breakGlass', 'assigned', { hasReason: false }).allowed, false);
  });

  test('break-glass lets an admin reveal any customer of the tenant until it expires', () => {
    const active = principal('admin', { breakGlassUntil: NOW + 60 });
    const d = decide(active, 'revealField', 'unassigned');
    assert.equal(d.allowed, true);
    assert.deepEqual(d.policyIds, ['admin-break-glass-active']);
    assert.equal(
      decide(principal('admin', { breakGlassUntil: NOW }), 'revealField', 'unassigned').allowed,
      false,
    );
    assert.equal(decide(active, 'revealField', 'otherTenant').allowed, false);
    assert.equal(
      decide(active, 'readClear', 'unassigned').allowed,
      false,
      'break-glass reveals, it does not unmask lists',
    );
  });
});

describe('tenant policies', () => {
  test('a valid policy passes; an invalid one is refused with the reason', () => {
    assert.deepEqual(
      checkPolicy(
        'tp_x',
        'permit (principal in Role::"marketer", action == Action::"readClear", resource) when { context.field == "profileName" };',
      ),
      { ok: true },
    );
    const bad = checkPolicy('tp_x', 'permit (principal, action, resource) when { resource.nope };');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.problems[0]!, /nope/);
    assert.equal(
      checkPolicy('tp_x', 'permit (principal, action, resource); forbid (principal, action, resource);').ok,
      false,
    );
    assert.equal(checkPolicy('tp_x', 'permit (principal == ?principal, action, resource);').ok, false);
    assert.equal(checkPolicy('tp_x', 'not cedar').ok, false);
  });

  test('a policy naming a record by literal turns off per-shape decisions', () => {
    assert.equal(defaults.shapeSafe, true);
    const literal = pdp.load('test-literal', 1, {
      ...DEFAULT_POLICIES,
      tp_1: 'forbid (principal, action, resource == Contact::"ct_00000000000000000000000009");',
    });
    assert.equal(literal.shapeSafe, false);
    const inCondition = pdp.load('test-condition', 1, {
      ...DEFAULT_POLICIES,
      tp_3: 'permit (principal, action == Action::"readClear", resource is Contact) when { resource.assignedOperators.contains(Operator::"op_00000000000000000000000009") };',
    });
    assert.equal(inCondition.shapeSafe, false);
    const roleOnly = pdp.load('test-role', 1, {
      ...DEFAULT_POLICIES,
      tp_2: 'forbid (principal in Role::"marketer", action == Action::"listContacts", resource);',
    });
    assert.equal(roleOnly.shapeSafe, true);
  });

  test('a tenant named by `Tenant::"…"` literal (tenants are Strings in records) keeps its meaning', () => {
    const asLiteral = `forbid (principal, action == Action::"readClear", resource) when { resource.tenant == Tenant::"${T1}" };`;
    const asString = `forbid (principal, action == Action::"readClear", resource) when { resource.tenant == "${T1}" };`;
    const inSet = `forbid (principal, action == Action::"readClear", resource) when { [Tenant::"tn_00000000000000000000000009", Tenant::"${T1}"].contains(resource.tenant) };`;
    for (const [name, text] of [
      ['literal', asLiteral],
      ['string', asString],
      ['set', inSet],
    ] as const) {
      assert.deepEqual(checkPolicy('tp_t', text), { ok: true }, name);
      const set = pdp.load(`test-tenant-${name}`, 1, { ...DEFAULT_POLICIES, tp_t: text });
      assert.equal(set.shapeSafe, true, name);
      const session = createDecisionSession({ pdp, set, principal: principal('agent'), nowSeconds: NOW });
      const mine = session.decide('readClear', contactEntity(contact('assigned')), { field: 'phone' });
      assert.deepEqual([mine.allowed, mine.policyIds], [false, ['tp_t']], name);
      // The same policy does not match another tenant's record (tenant isolation denies that anyway).
      const agent2 = createDecisionSession({
        pdp,
        set,
        principal: principal('agent', { tenantId: T2 }),
        nowSeconds: NOW,
      });
      const theirs = agent2.decide('readClear', contactEntity(contact('otherTenant')), { field: 'phone' });
      assert.equal(theirs.allowed, true, name);
    }
    // A tenant compared with something that is not a tenant id is still a type error.
    assert.equal(
      checkPolicy('tp_t', 'permit (principal, action, resource) when { resource.tenant == 3 };').ok,
      false,
    );
  });
});

describe('assignment, asked either way', () => {
  test('`resource in principal` and `resource.assignedOperators.contains(principal)` agree', () => {
    const asSet = Object.fromEntries(
      Object.entries(DEFAULT_POLICIES).map(([id, text]) => [
        id,
        text.replaceAll('resource in principal', 'resource.assignedOperators.contains(principal)'),
      ]),
    );
    assert.notDeepEqual(asSet, DEFAULT_POLICIES, 'the defaults ask about assignment');
    assert.deepEqual(checkPolicySet(asSet), []);
    const setForm = pdp.load('test-assigned-set', 1, asSet);
    assert.ok(setForm.reads.readClear.has('assignedOperators'), 'the set is sent when a policy reads it');
    let compared = 0;
    for (const role of ROLES)
      for (const action of ACTIONS)
        for (const situation of ['assigned', 'unassigned', 'otherTenant'] as const) {
          const { resource, related } = resourceFor(action, situation);
          const ask = (set: typeof defaults) =>
            createDecisionSession({ pdp, set, principal: principal(role), nowSeconds: NOW }).decide(
              action,
              resource,
              { field: 'phone', hasReason: true, ...(related ? { related } : {}) },
            );
          const parent = ask(defaults);
          const attribute = ask(setForm);
          assert.equal(parent.errored, false, `${role} ${action} ${situation}`);
          // Cedar reports the deciding ids in no fixed order.
          const sorted = (d: typeof parent) => ({ ...d, policyIds: [...d.policyIds].sort() });
          assert.deepEqual(sorted(parent), sorted(attribute), `${role} ${action} ${situation}`);
          compared++;
        }
    assert.equal(compared, ROLES.length * ACTIONS.length * 3);
  });

  test('a record is in its assignees only, and through them in their roles only', () => {
    const set = pdp.load('test-in-other', 1, {
      ...DEFAULT_POLICIES,
      tp_r: 'permit (principal in Role::"marketer", action == Action::"readClear", resource) when { resource in Role::"agent" };',
    });
    const marketer = createDecisionSession({ pdp, set, principal: principal('marketer'), nowSeconds: NOW });
    const mine = contactEntity(contact('assigned'));
    // The marketer principal is in the slice with Role::"marketer" only; the record's parent ME is that
    // marketer, so `resource in Role::"agent"` must stay false.
    assert.equal(marketer.decide('readClear', mine, { field: 'phone' }).allowed, false);
    const agent = createDecisionSession({
      pdp,
      set: defaults,
      principal: principal('agent', { operatorId: OTHER }),
      nowSeconds: NOW,
    });
    assert.equal(
      agent.decide('readClear', mine, { field: 'phone' }).allowed,
      false,
      'assigned to ME, asked by OTHER',
    );
    assert.equal(
      agent.decide('readClear', contactEntity(contact('unassigned')), { field: 'phone' }).allowed,
      true,
      'assigned to OTHER, asked by OTHER',
    );
  });
});

describe('attributes sent to the engine', () => {
  test('each action is sent only the attributes its policies read, and `has` counts as a read', () => {
    assert.ok(!defaults.reads.readClear.has('assignedOperators'), 'the defaults ask `resource in principal`');
    assert.ok(defaults.reads.readClear.has('trainingExpiresAt'));
    assert.ok(!defaults.reads.readClear.has('lastMfaAt'), 'no readClear policy reads lastMfaAt');
    assert.ok(defaults.reads.revealField.has('mfaAgeSeconds'));

    const set = pdp.load('test-has', 0, {
      'mfa-known': `permit (principal, action == Action::"readClear", resource) when { principal has lastMfaAt };`,
      'reason-given': `permit (principal, action == Action::"revealField", resource) when { context.hasReason };`,
    });
    assert.deepEqual([...set.reads.readClear], ['lastMfaAt']);
    const me = createDecisionSession({ pdp, set, principal: principal('agent'), nowSeconds: NOW });
    const resource = contactEntity(contact('unassigned'));
    assert.equal(me.decide('readClear', resource).allowed, true, 'lastMfaAt reached the engine');
    assert.equal(me.decide('revealField', resource, { hasReason: true }).allowed, true);
    assert.equal(me.decide('revealField', resource, { hasReason: false }).allowed, false);
  });
});
