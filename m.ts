import { createDecisionSession } from './src/features/access/decisions.ts';
import { DEFAULT_POLICIES } from './src/features/access/default-policies.ts';
import { contactEntity } from './src/features/access/entities.ts';
import { createPdp } from './src/features/access/pdp.ts';
const pdp = createPdp(); const set = pdp.load('b', 0, DEFAULT_POLICIES);
const NOW = 1.8e9; const principal = { tenantId: 'tn_1', operatorId: 'op_1', role: 'agent' as const, trainingExpiresAt: NOW + 3600, lastMfaAt: NOW - 10, breakGlassUntil: 0 };
const lat: number[] = [];
for (let i = 0; i < 22000; i++) {
  const s = createDecisionSession({ pdp, set, principal, nowSeconds: NOW });
  const r = contactEntity({ tenantId: 'tn_1', contactId: `ct_${i}`, assignedOperators: i % 3 ? ['op_2'] : ['op_1'], canary: false });
  const a = performance.now(); s.decide('readClear', r, { field: 'phone' }); const d = performance.now() - a;
  if (i >= 2000) lat.push(d);
}
lat.sort((a, b) => a - b);
for (const p of [50, 90, 95, 99, 99.9]) console.log(p, lat[Math.ceil(p / 100 * lat.length) - 1]!.toFixed(4));
