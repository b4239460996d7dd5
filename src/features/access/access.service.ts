import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import type { Vault } from '../vault/vault.ts';
import * as repo from './access.repository.ts';
import { createApprovals } from './approvals.service.ts';
import { createAssignments } from './assignments.service.ts';
import { createBreakGlass } from './breakglass.service.ts';
import { DEFAULT_POLICIES } from './default-policies.ts';
import { createDirectory } from './directory.service.ts';
import { checkPolicySet, createPdp } from './pdp.ts';
import { createPolicyStore, createTenantPolicies } from './policies.service.ts';
import { createReveals } from './reveal.service.ts';
import { createReasonBox } from './sealed-reason.ts';
import { createAccessSessions } from './sessions.ts';
import { createTraining } from './training.service.ts';

/**
 * Least-privilege access: the Cedar decision point and everything built on it. Callers open one
 * `session(actor)` per request and pass it to the service functions.
 */
export function createAccess(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey'>;
  vault: Pick<Vault, 'seal' | 'openText'>;
  audit: Pick<AuditService, 'append' | 'appendMany' | 'prepare'>;
  contacts: Pick<ContactService, 'openPage' | 'openOne'>;
  operators: Pick<OperatorService, 'getById'>;
  clock: Clock;
  logger: Logger;
}) {
  const problems = checkPolicySet(DEFAULT_POLICIES);
  if (problems.length > 0)
    throw new Error(`The default access policies do not validate: ${problems.join('; ')}`);
  const { db, audit, clock } = deps;
  const pdp = createPdp();
  const store = createPolicyStore({ db, pdp });
  const sessions = createAccessSessions({ db, pdp, policies: store, audit, clock, logger: deps.logger });
  const reasons = createReasonBox(deps);
  const reveals = createReveals({ db, contacts: deps.contacts, audit, clock });

  return {
    /** The decision session of one request (loads the operator's facts and the tenant's policy set). */
    session: sessions.open,
    directory: createDirectory({ db, contacts: deps.contacts, audit }),
    reveals,
    breakGlass: createBreakGlass({ db, reasons, audit, clock }),
    approvals: createApprovals({ db, reasons, audit, clock }),
    training: createTraining({ db, operators: deps.operators, audit, clock }),
    assignments: createAssignments({ db, operators: deps.operators, audit, clock }),
    policies: createTenantPolicies({ db, audit, clock }),

    /** Reveals by this operator in the last hour (read by detection). */
    revealsInLastHour: reveals.revealsInLastHour,

    /** Flags a honeytoken customer: any look at it is reported to detection through its audit entries. */
    async markCanary(tenantId: string, contactId: string): Promise<void> {
      await repo.insertCanary(db, tenantId, contactId, clock.now().toISOString());
    },
  };
}

export type Access = ReturnType<typeof createAccess>;
