import type { RevealContext } from '../../src/features/contacts/contacts.service.ts';

/** The staff member whole-app tests act as (operator sign-in arrives with issue 4). */
export const testOperator = { type: 'operator', id: 'op_test' } as const;

/** A reveal by the test operator, with a reason (recorded encrypted in the audit log). */
export const testReveal: RevealContext = { actor: testOperator, reason: 'test: checking a customer record' };
