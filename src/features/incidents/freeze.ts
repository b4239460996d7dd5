import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import { incidentDb } from './incidents.table.ts';

export type FreezeScope = 'exports' | 'campaigns';

/** Thrown by export and campaign paths while the tenant is frozen by a containment playbook. */
export class FrozenError extends AppError {
  constructor(scope: FreezeScope) {
    super(423, 'forbidden', `The tenant's ${scope} are frozen by incident response`);
  }
}

/** The tenant-wide freeze flags. Export and campaign paths call `assertOpen` before they run. */
export function createFreezes(deps: { db: Db; clock: Clock }) {
  const db = incidentDb(deps.db);
  async function state(tenantId: string) {
    const row = await db
      .selectFrom('tenant_freezes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return {
      exports: row?.exports === 1,
      campaigns: row?.campaigns === 1,
      incidentId: row?.incident_id ?? null,
    };
  }
  return {
    state,
    async assertOpen(tenantId: string, scope: FreezeScope): Promise<void> {
      if ((await state(tenantId))[scope]) throw new FrozenError(scope);
    },
    async set(
      trx: Db,
      tenantId: string,
      flags: { exports: boolean; campaigns: boolean },
      by: string,
      incidentId: string | null,
    ): Promise<void> {
      const values = {
        exports: flags.exports ? 1 : 0,
        campaigns: flags.campaigns ? 1 : 0,
        incident_id: incidentId,
        changed_by: by,
        changed_at: deps.clock.now().toISOString(),
      };
      await incidentDb(trx)
        .insertInto('tenant_freezes')
        .values({ tenant_id: tenantId, ...values })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
        .execute();
    },
  };
}

export type Freezes = ReturnType<typeof createFreezes>;

/**
 * For export and campaign paths in other features: throws `FrozenError` (423) while incident
 * response has frozen that scope for the tenant. One indexed read, inside the caller's transaction.
 * @example await assertNotFrozen(trx, tenantId, 'exports');
 */
export async function assertNotFrozen(db: Db, tenantId: string, scope: FreezeScope): Promise<void> {
  const row = await incidentDb(db)
    .selectFrom('tenant_freezes')
    .select(['exports', 'campaigns'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (row && row[scope] === 1) throw new FrozenError(scope);
}
