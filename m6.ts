import { DEFAULT_POLICIES } from './src/features/access/default-policies.ts';
import { contactEntity, operatorEntity } from './src/features/access/entities.ts';
import { createPdp } from './src/features/access/pdp.ts';
const V = process.argv[2] ?? 'a';
const pdp = createPdp(); const set = pdp.load('b', 0, DEFAULT_POLICIES);
const NOW = 1.8e9; const principal = { tenantId: 'tn_1', operatorId: 'op_1', role: 'agent' as const, trainingExpiresAt: NOW + 3600, lastMfaAt: NOW - 10, breakGlassUntil: 0 };
function session() {
  const principalEntity = operatorEntity(principal);
  const mfaAgeSeconds = V.includes('m') ? Math.max(0, NOW - principal.lastMfaAt) : NOW - principal.lastMfaAt;
  const cache = new Map<string, unknown>();
  return (resource: ReturnType<typeof contactEntity>) => {
    const context = { now: NOW, mfaAgeSeconds, field: 'phone', hasReason: false };
    const key = V.includes('k') ? `readClear\u0000${JSON.stringify(resource)}` : 'x';
    if (V.includes('c') && cache.get(key)) return;
    const d = pdp.decide(set, { principal: principalEntity, action: 'readClear', resource, context });
    cache.set(key, d);
  };
}
for (let i = 0; i < 22000; i++) {
  const s = session();
  s(contactEntity({ tenantId: 'tn_1', contactId: `ct_${i}`, assignedOperators: i % 3 ? ['op_2'] : ['op_1'], canary: false }));
}
console.log('done');
