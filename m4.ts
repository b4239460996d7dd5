import { DEFAULT_POLICIES } from './src/features/access/default-policies.ts';
import { contactEntity, operatorEntity } from './src/features/access/entities.ts';
import { createPdp } from './src/features/access/pdp.ts';
const pdp = createPdp(); const set = pdp.load('b', 0, DEFAULT_POLICIES);
const NOW = 1.8e9;
for (let i = 0; i < 22000; i++) {
  const principal = operatorEntity({ tenantId: 'tn_1', operatorId: 'op_1', role: 'agent' as const, trainingExpiresAt: NOW + 3600, lastMfaAt: NOW - 10, breakGlassUntil: 0 });
  const r = contactEntity({ tenantId: 'tn_1', contactId: `ct_${i}`, assignedOperators: i % 3 ? ['op_2'] : ['op_1'], canary: false });
  pdp.decide(set, { principal, action: 'readClear', resource: r, context: { now: NOW, mfaAgeSeconds: 10, field: 'phone', hasReason: false } });
}
console.log('done');
