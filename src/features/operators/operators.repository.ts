import type { Db } from '../../db/database.ts';
import type { OperatorStatus, OperatorsTable } from './operators.table.ts';

export async function insertOperator(db: Db, row: OperatorsTable): Promise<void> {
  await db.insertInto('operators').values(row).execute();
}

export async function findOperatorById(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('operators')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findOperatorByEmailKey(db: Db, tenantId: string, emailKey: Buffer) {
  return db
    .selectFrom('operators')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('email_key', '=', emailKey)
    .executeTakeFirst();
}

export async function listOperators(db: Db, tenantId: string) {
  return db
    .selectFrom('operators')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .execute();
}

export async function setOperatorStatus(
  db: Db,
  tenantId: string,
  id: string,
  status: OperatorStatus,
  at: string,
) {
  await db
    .updateTable('operators')
    .set({ status, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}
