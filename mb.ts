import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { DEFAULT_POLICIES } from './src/features/access/default-policies.ts';
cedar.preparsePolicySet('d', { staticPolicies: { ...DEFAULT_POLICIES } });
const T = { __entity: { type: 'Tenant', id: 'tn_1' } };
const p = { uid: { type: 'Operator', id: 'op_1' }, attrs: { tenant: T, role: 'agent', trainingExpiresAt: 2e9, lastMfaAt: 1.8e9, breakGlassUntil: 0 }, parents: [{ type: 'Role', id: 'agent' }] };
for (let i = 0; i < 22000; i++) {
  const r = { uid: { type: 'Contact', id: `ct_${i}` }, attrs: { tenant: T, assignedOperators: [{ __entity: { type: 'Operator', id: i % 3 ? 'op_2' : 'op_1' } }], canary: false }, parents: [] };
  cedar.statefulIsAuthorized({ principal: p.uid, action: { type: 'Action', id: 'readClear' }, resource: r.uid, context: { now: 1.8e9, mfaAgeSeconds: 10, field: 'phone', hasReason: false }, entities: [p, r], preparsedPolicySetId: 'd' });
}
console.log('done');
