import type { Db } from '../../db/database.ts';
import type {
  ApprovalRequestsTable,
  ApprovalStatus,
  BreakGlassGrantsTable,
  TrainingRecordsTable,
} from './access.table.ts';

// ---- break-glass grants ----

export async function insertGrant(trx: Db, row: BreakGlassGrantsTable): Promise<void> {
  await trx.insertInto('break_glass_grants').values(row).execute();
}

export async function findGrant(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('break_glass_grants')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listGrants(db: Db, tenantId: string, filter: { operatorId?: string; limit: number }) {
  let q = db.selectFrom('break_glass_grants').selectAll().where('tenant_id', '=', tenantId);
  if (filter.operatorId) q = q.where('operator_id', '=', filter.operatorId);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export async function revokeGrant(trx: Db, tenantId: string, id: string, by: string, at: string) {
  const result = await trx
    .updateTable('break_glass_grants')
    .set({ revoked_at: at, revoked_by: by })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---- four-eyes approval requests ----

export async function insertApproval(trx: Db, row: ApprovalRequestsTable): Promise<void> {
  await trx.insertInto('approval_requests').values(row).execute();
}

export async function findApproval(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('approval_requests')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listApprovals(
  db: Db,
  tenantId: string,
  filter: { status?: ApprovalStatus; requesterId?: string; limit: number },
) {
  let q = db.selectFrom('approval_requests').selectAll().where('tenant_id', '=', tenantId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.requesterId) q = q.where('requester_id', '=', filter.requesterId);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/** Moves a request from one status to the next only if nobody moved it first (and it has not expired). */
export async function transitionApproval(
  trx: Db,
  tenantId: string,
  id: string,
  change: { from: ApprovalStatus; to: ApprovalStatus; at: string; by?: string; notExpiredAt?: string },
): Promise<boolean> {
  let q = trx
    .updateTable('approval_requests')
    .set({
      status: change.to,
      ...(change.to === 'executed'
        ? { executed_at: change.at }
        : { decided_at: change.at, decided_by: change.by ?? null }),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', change.from);
  if (change.notExpiredAt) q = q.where('expires_at', '>', change.notExpiredAt);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---- training and policy acknowledgement ----

export async function insertTraining(trx: Db, row: TrainingRecordsTable): Promise<void> {
  await trx.insertInto('training_records').values(row).execute();
}

export async function listTraining(db: Db, tenantId: string, filter: { operatorId?: string; limit: number }) {
  let q = db.selectFrom('training_records').selectAll().where('tenant_id', '=', tenantId);
  if (filter.operatorId) q = q.where('operator_id', '=', filter.operatorId);
  return q.orderBy('completed_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
