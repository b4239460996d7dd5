import type { Db } from '../../db/database.ts';

/** The latest expiry of each training kind, per operator of a tenant. */
export async function trainingExpiries(db: Db, tenantId: string) {
  return db
    .selectFrom('training_records')
    .select(['operator_id', 'kind', (eb) => eb.fn.max('expires_at').as('expires_at')])
    .where('tenant_id', '=', tenantId)
    .groupBy(['operator_id', 'kind'])
    .execute();
}
