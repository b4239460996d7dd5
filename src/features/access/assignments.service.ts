import type { Clock } from '../../lib/clock.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import * as repo from './access.repository.ts';
import { assignmentInput, assignmentQuery, type AssignmentInput } from './access.schema.ts';
import { tenantResource } from './entities.ts';
import type { AccessSession } from './sessions.ts';

export interface Assignment {
  readonly contactId: string;
  readonly operatorId: string;
  readonly assignedBy: string;
  readonly assignedAt: string;
}

/**
 * Agent ↔ customer assignments, the relationship agent policies use (`resource in principal`).
 * Admins and owners assign and unassign (audited); agents list their own.
 */
export function createAssignments(deps: {
  db: Db;
  operators: Pick<OperatorService, 'getById'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const { db } = deps;

  async function authorize(session: AccessSession) {
    const tenantId = session.actor.tenantId;
    return session.enforce('manageAssignments', tenantResource('Workspace', tenantId), {
      type: 'workspace',
      id: tenantId,
      what: 'Workspace',
    });
  }

  async function change(session: AccessSession, input: AssignmentInput, assign: boolean): Promise<void> {
    const decision = await authorize(session);
    const v = parseInput(assignmentInput, input);
    const tenantId = session.actor.tenantId;
    if (!(await repo.contactExists(db, tenantId, v.contactId))) throw new NotFoundError('Contact');
    await deps.operators.getById(tenantId, v.operatorId);
    const at = deps.clock.now().toISOString();
    await db.transaction().execute(async (trx) => {
      const changed = assign
        ? await repo.insertAssignment(trx, {
            tenant_id: tenantId,
            contact_id: v.contactId,
            operator_id: v.operatorId,
            assigned_by: session.actor.id,
            assigned_at: at,
          })
        : await repo.deleteAssignment(trx, tenantId, v.contactId, v.operatorId);
      if (!assign && !changed) throw new NotFoundError('Assignment');
      if (!changed) return;
      await deps.audit.append(trx, {
        tenantId,
        actor: session.auditActor,
        action: 'authz_change',
        target: { type: 'contact', id: v.contactId },
        outcome: 'success',
        policyIds: decision.policyIds,
        detail: { [assign ? 'assigned' : 'unassigned']: v.operatorId },
        clientIp: session.actor.ip,
        requestId: session.actor.requestId,
      });
    });
  }

  return {
    assign: (session: AccessSession, input: AssignmentInput) => change(session, input, true),
    unassign: (session: AccessSession, input: AssignmentInput) => change(session, input, false),

    /** Admins and owners list any; everyone else lists their own assignments. */
    async list(
      session: AccessSession,
      query: { contactId?: string; operatorId?: string; limit?: number } = {},
    ) {
      const q = parseInput(assignmentQuery, query);
      const all = session.decide(
        'manageAssignments',
        tenantResource('Workspace', session.actor.tenantId),
      ).allowed;
      const rows = await repo.listAssignments(db, session.actor.tenantId, {
        ...q,
        ...(all ? {} : { operatorId: session.actor.id }),
      });
      return rows.map((r): Assignment => ({
        contactId: r.contact_id,
        operatorId: r.operator_id,
        assignedBy: r.assigned_by,
        assignedAt: r.assigned_at,
      }));
    },
  };
}
