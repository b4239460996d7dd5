import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { AccessPoliciesTable, AccessRevealsTable } from './access.table.ts';

// ---- tenant policies and the policy-set version ----

export async function policySetVersion(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('access_policy_sets')
    .select('version')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? Number(row.version) : 0;
}

/** Increments the tenant's policy-set version (creating it at 1) and returns the new version. */
export async function bumpPolicySetVersion(trx: Db, tenantId: string, at: string): Promise<number> {
  await trx
    .insertInto('access_policy_sets')
    .values({ tenant_id: tenantId, version: 1, updated_at: at })
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({ version: sql`access_policy_sets.version + 1`, updated_at: at }),
    )
    .execute();
  return policySetVersion(trx, tenantId);
}

export async function insertPolicy(trx: Db, row: AccessPoliciesTable): Promise<void> {
  await trx.insertInto('access_policies').values(row).execute();
}

export async function listPolicies(db: Db, tenantId: string, status?: 'active') {
  let q = db.selectFrom('access_policies').selectAll().where('tenant_id', '=', tenantId);
  if (status) q = q.where('status', '=', status);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function findPolicy(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('access_policies')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function disablePolicy(
  trx: Db,
  tenantId: string,
  id: string,
  change: { version: number; by: string; at: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('access_policies')
    .set({
      status: 'disabled',
      disabled_in_version: change.version,
      disabled_by: change.by,
      disabled_at: change.at,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---- assignments and canaries ----

export async function assignmentsFor(db: Db, tenantId: string, contactIds: readonly string[]) {
  if (contactIds.length === 0) return [];
  return db
    .selectFrom('access_assignments')
    .select(['contact_id', 'operator_id'])
    .where('tenant_id', '=', tenantId)
    .where('contact_id', 'in', contactIds)
    .execute();
}

export async function canariesAmong(db: Db, tenantId: string, contactIds: readonly string[]) {
  if (contactIds.length === 0) return [];
  return db
    .selectFrom('access_canaries')
    .select('contact_id')
    .where('tenant_id', '=', tenantId)
    .where('contact_id', 'in', contactIds)
    .execute();
}

export async function insertCanary(trx: Db, tenantId: string, contactId: string, at: string): Promise<void> {
  await trx
    .insertInto('access_canaries')
    .values({ tenant_id: tenantId, contact_id: contactId, created_at: at })
    .onConflict((oc) => oc.columns(['tenant_id', 'contact_id']).doNothing())
    .execute();
}

export async function insertAssignment(
  trx: Db,
  row: {
    tenant_id: string;
    contact_id: string;
    operator_id: string;
    assigned_by: string;
    assigned_at: string;
  },
): Promise<boolean> {
  const result = await trx
    .insertInto('access_assignments')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'contact_id', 'operator_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function deleteAssignment(trx: Db, tenantId: string, contactId: string, operatorId: string) {
  const result = await trx
    .deleteFrom('access_assignments')
    .where('tenant_id', '=', tenantId)
    .where('contact_id', '=', contactId)
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function listAssignments(
  db: Db,
  tenantId: string,
  filter: { operatorId?: string; contactId?: string; limit: number },
) {
  let q = db.selectFrom('access_assignments').selectAll().where('tenant_id', '=', tenantId);
  if (filter.operatorId) q = q.where('operator_id', '=', filter.operatorId);
  if (filter.contactId) q = q.where('contact_id', '=', filter.contactId);
  return q.orderBy('assigned_at').orderBy('contact_id').limit(filter.limit).execute();
}

// ---- what the decision point needs to know about an operator ----

/** Latest expiry per training kind, and the latest expiry of unrevoked break-glass grants. */
export async function principalFacts(db: Db, tenantId: string, operatorId: string) {
  const training = await db
    .selectFrom('training_records')
    .select(['kind', (eb) => eb.fn.max('expires_at').as('expires_at')])
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .groupBy('kind')
    .execute();
  const grant = await db
    .selectFrom('break_glass_grants')
    .select((eb) => eb.fn.max('expires_at').as('expires_at'))
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return { training, breakGlassUntil: grant?.expires_at ?? null };
}

// ---- reveals ----

export async function insertReveal(trx: Db, row: AccessRevealsTable): Promise<void> {
  await trx.insertInto('access_reveals').values(row).execute();
}

export async function countReveals(
  db: Db,
  tenantId: string,
  operatorId: string,
  since: string,
): Promise<number> {
  const row = await db
    .selectFrom('access_reveals')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Whether a contact id belongs to this tenant (no decryption). */
export async function contactExists(db: Db, tenantId: string, contactId: string): Promise<boolean> {
  const row = await db
    .selectFrom('contacts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  return row !== undefined;
}
