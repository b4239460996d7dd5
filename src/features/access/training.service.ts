import type { Clock } from '../../lib/clock.ts';
import { ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import { trainingInput, type TrainingInput } from './access.schema.ts';
import type { TrainingKind, TrainingRecordsTable } from './access.table.ts';
import { tenantResource } from './entities.ts';
import * as grants from './grants.repository.ts';
import { REQUIRED_TRAINING, type AccessSession } from './sessions.ts';

export interface TrainingRecord {
  readonly id: string;
  readonly operatorId: string;
  readonly kind: TrainingKind;
  readonly version: string;
  readonly completedAt: string;
  readonly expiresAt: string;
  readonly evidenceRef: string | null;
  readonly recordedBy: string;
}

export interface TrainingStatus {
  readonly operatorId: string;
  /** True while every required record (security training and policy acknowledgement) is unexpired. */
  readonly current: boolean;
  readonly expiresAt: Record<TrainingKind, string | null>;
  readonly records: TrainingRecord[];
}

const toRecord = (r: TrainingRecordsTable): TrainingRecord => ({
  id: r.id,
  operatorId: r.operator_id,
  kind: r.kind,
  version: r.version,
  completedAt: r.completed_at,
  expiresAt: r.expires_at,
  evidenceRef: r.evidence_ref,
  recordedBy: r.recorded_by,
});

function addMonths(at: Date, months: number): Date {
  const out = new Date(at);
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}

/**
 * Security training and policy acknowledgement per operator, each valid 12 months by default. While
 * either has lapsed the `training-lapsed` forbid hides personal data from the operator. Admins and
 * owners record training; an operator acknowledges the policies for themselves.
 */
export function createTraining(deps: {
  db: Db;
  operators: Pick<OperatorService, 'getById'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const { db } = deps;
  const workspace = (tenantId: string) => tenantResource('Workspace', tenantId);
  const target = (tenantId: string) => ({ type: 'workspace', id: tenantId, what: 'Workspace' });

  async function mayManage(session: AccessSession, operatorId: string, selfAllowed: boolean) {
    const tenantId = session.actor.tenantId;
    if (selfAllowed && operatorId === session.actor.id)
      return session.decide('manageTraining', workspace(tenantId)).policyIds;
    return (await session.enforce('manageTraining', workspace(tenantId), target(tenantId))).policyIds;
  }

  return {
    async record(session: AccessSession, input: TrainingInput): Promise<TrainingRecord> {
      // Authorisation before validation: only an operator's own policy acknowledgement is open to
      // callers without manageTraining, so anyone else is refused whatever the rest of the body says.
      const claimed = (input ?? {}) as { operatorId?: unknown; kind?: unknown };
      const selfAck = claimed.kind === 'policy_ack' && claimed.operatorId === session.actor.id;
      if (!selfAck) await mayManage(session, '', false);
      const v = parseInput(trainingInput, input);
      const tenantId = session.actor.tenantId;
      const policyIds = await mayManage(session, v.operatorId, v.kind === 'policy_ack');
      await deps.operators.getById(tenantId, v.operatorId);
      const now = deps.clock.now();
      const completed = v.completedAt ? new Date(v.completedAt) : now;
      if (completed.getTime() > now.getTime() + 5 * 60_000)
        throw new ValidationError('completedAt: lies in the future');
      const row: TrainingRecordsTable = {
        id: newId('tr'),
        tenant_id: tenantId,
        operator_id: v.operatorId,
        kind: v.kind,
        version: v.version,
        completed_at: completed.toISOString(),
        expires_at: addMonths(completed, v.validMonths).toISOString(),
        evidence_ref: v.evidenceRef ?? null,
        recorded_by: session.actor.id,
        created_at: now.toISOString(),
      };
      await db.transaction().execute(async (trx) => {
        await grants.insertTraining(trx, row);
        await deps.audit.append(trx, {
          tenantId,
          actor: session.auditActor,
          action: 'authz_change',
          target: { type: 'operator', id: v.operatorId },
          outcome: 'success',
          policyIds,
          detail: { training: v.kind, version: v.version, expiresAt: row.expires_at },
          clientIp: session.actor.ip,
          requestId: session.actor.requestId,
        });
      });
      return toRecord(row);
    },

    /** An operator's own status, or anyone's for admins and owners. */
    async status(session: AccessSession, operatorId = session.actor.id): Promise<TrainingStatus> {
      await mayManage(session, operatorId, true);
      if (operatorId !== session.actor.id) await deps.operators.getById(session.actor.tenantId, operatorId);
      const rows = await grants.listTraining(db, session.actor.tenantId, { operatorId, limit: 200 });
      const now = deps.clock.now().toISOString();
      const expiresAt = Object.fromEntries(
        REQUIRED_TRAINING.map((kind) => [
          kind,
          rows
            .filter((r) => r.kind === kind)
            .reduce<string | null>((m, r) => (m && m > r.expires_at ? m : r.expires_at), null),
        ]),
      ) as Record<TrainingKind, string | null>;
      return {
        operatorId,
        current: REQUIRED_TRAINING.every((k) => (expiresAt[k] ?? '') > now),
        expiresAt,
        records: rows.map(toRecord),
      };
    },
  };
}
