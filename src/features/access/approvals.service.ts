import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { approvalInput, approvalQuery, type ApprovalInput } from './access.schema.ts';
import type { ApprovalKind, ApprovalRequestsTable } from './access.table.ts';
import { approvalEntity, tenantResource } from './entities.ts';
import * as grants from './grants.repository.ts';
import type { ReasonBox } from './sealed-reason.ts';
import type { AccessSession } from './sessions.ts';
import { assertNotFrozen } from '../incidents/freeze.ts';

/** A request waits at most this long for its second person (and, once approved, to be run). */
export const APPROVAL_TTL_MS = 24 * 3_600_000;
const TABLE = 'approval_requests';

export interface ApprovalRequest {
  readonly id: string;
  readonly kind: ApprovalKind;
  readonly payloadRef: string;
  readonly requesterId: string;
  readonly reason: string;
  readonly status: ApprovalRequestsTable['status'] | 'expired';
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly executedAt: string | null;
}

/** What a request asks for, as a policy question. */
function actionOf(kind: ApprovalKind, tenantId: string) {
  return kind === 'contacts_export'
    ? {
        action: 'exportContacts' as const,
        resource: tenantResource('Workspace', tenantId),
        targetType: 'workspace',
      }
    : { action: 'destroyKey' as const, resource: tenantResource('Keyring', tenantId), targetType: 'keyring' };
}

/**
 * Four-eyes: a bulk export or a key destruction is first a request; a second, different owner approves
 * it (Cedar's `four-eyes` forbid stops the requester) within 24 h; only then may the feature run it,
 * once, through `runApproved`. Every step is audited.
 */
export function createApprovals(deps: {
  db: Db;
  reasons: ReasonBox;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const { db } = deps;
  const now = () => deps.clock.now().toISOString();

  async function toRequest(row: ApprovalRequestsTable): Promise<ApprovalRequest> {
    const live = row.status === 'pending' || row.status === 'approved';
    return {
      id: row.id,
      kind: row.kind,
      payloadRef: row.payload_ref,
      requesterId: row.requester_id,
      reason: await deps.reasons.open(row.tenant_id, TABLE, row.id, row.reason_ct),
      status: live && row.expires_at <= now() ? 'expired' : row.status,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      decidedBy: row.decided_by,
      decidedAt: row.decided_at,
      executedAt: row.executed_at,
    };
  }

  function event(
    session: AccessSession,
    id: string,
    policyIds: readonly string[],
    detail: Record<string, unknown>,
    reason?: string,
  ) {
    return {
      tenantId: session.actor.tenantId,
      actor: session.auditActor,
      action: 'authz_change' as const,
      target: { type: 'approval_request', id },
      outcome: 'success' as const,
      policyIds,
      detail,
      ...(reason ? { reason } : {}),
      clientIp: session.actor.ip,
      requestId: session.actor.requestId,
    };
  }

  async function decideOn(session: AccessSession, id: string, to: 'approved' | 'rejected') {
    const tenantId = session.actor.tenantId;
    const row = await grants.findApproval(db, tenantId, id);
    if (!row) throw new NotFoundError('Approval request');
    const withdraw = to === 'rejected' && row.requester_id === session.actor.id;
    const policyIds = withdraw
      ? []
      : (
          await session.enforce('approve', approvalEntity(tenantId, id, row.requester_id, row.kind), {
            type: 'approval_request',
            id,
            what: 'Approval request',
          })
        ).policyIds;
    const at = now();
    await db.transaction().execute(async (trx) => {
      const moved = await grants.transitionApproval(trx, tenantId, id, {
        from: 'pending',
        to,
        at,
        by: session.actor.id,
        notExpiredAt: at,
      });
      if (!moved) throw new ConflictError('The request is no longer pending (decided or expired)');
      await deps.audit.append(
        trx,
        event(session, id, policyIds, { approval: withdraw ? 'withdrawn' : to, kind: row.kind }),
      );
    });
    return toRequest({ ...row, status: to, decided_by: session.actor.id, decided_at: at });
  }

  return {
    async request(session: AccessSession, input: ApprovalInput): Promise<ApprovalRequest> {
      const v = parseInput(approvalInput, input);
      const tenantId = session.actor.tenantId;
      const asked = actionOf(v.kind, tenantId);
      const decision = await session.enforce(
        asked.action,
        asked.resource,
        { type: asked.targetType, id: tenantId, what: 'Workspace' },
        { hasReason: true },
      );
      const id = newId('ap');
      const created = deps.clock.now();
      const row: ApprovalRequestsTable = {
        id,
        tenant_id: tenantId,
        kind: v.kind,
        payload_ref: v.payloadRef,
        requester_id: session.actor.id,
        reason_ct: await deps.reasons.seal(tenantId, TABLE, id, v.reason),
        status: 'pending',
        created_at: created.toISOString(),
        expires_at: new Date(created.getTime() + APPROVAL_TTL_MS).toISOString(),
        decided_by: null,
        decided_at: null,
        executed_at: null,
      };
      await db.transaction().execute(async (trx) => {
        await grants.insertApproval(trx, row);
        await deps.audit.append(
          trx,
          event(
            session,
            id,
            decision.policyIds,
            { approval: 'requested', kind: v.kind, payloadRef: v.payloadRef },
            v.reason,
          ),
        );
      });
      return toRequest(row);
    },

    approve: (session: AccessSession, id: string) => decideOn(session, id, 'approved'),
    /** A second person rejects; the requester may withdraw their own request. */
    reject: (session: AccessSession, id: string) => decideOn(session, id, 'rejected'),

    /** Owners see every request; others see their own. */
    async list(session: AccessSession, query: { status?: string; limit?: number } = {}) {
      const q = parseInput(approvalQuery, query);
      const tenantId = session.actor.tenantId;
      const all = session.decide('readGrants', tenantResource('Workspace', tenantId)).allowed;
      const rows = await grants.listApprovals(db, tenantId, {
        ...q,
        ...(all ? {} : { requesterId: session.actor.id }),
      });
      return Promise.all(rows.map(toRequest));
    },

    /**
     * For the feature that runs the action: marks an approved, unexpired request of this kind and
     * payload as executed, inside the caller's transaction; throws if there is none. Runs at most once.
     */
    async runApproved(
      trx: Db,
      tenantId: string,
      id: string,
      expect: { kind: ApprovalKind; payloadRef: string },
    ) {
      const row = await grants.findApproval(trx, tenantId, id);
      if (!row || row.kind !== expect.kind || row.payload_ref !== expect.payloadRef)
        throw new NotFoundError('Approval request');
      // Incident response can freeze bulk exports tenant-wide (containment playbook `freeze`).
      if (expect.kind === 'contacts_export') await assertNotFrozen(trx, tenantId, 'exports');
      const at = now();
      if (
        !(await grants.transitionApproval(trx, tenantId, id, {
          from: 'approved',
          to: 'executed',
          at,
          notExpiredAt: at,
        }))
      )
        throw new ConflictError('The request is not approved, has expired, or has already run');
    },
  };
}
