import type { Db } from '../../db/database.ts';
import type {
  AuthPasskeysTable,
  AuthPasswordsTable,
  AuthRecoveryCodesTable,
  AuthTotpTable,
} from './auth.table.ts';

const changed = (r: { numUpdatedRows: bigint } | { numDeletedRows: bigint } | undefined) =>
  r !== undefined && ('numUpdatedRows' in r ? r.numUpdatedRows : r.numDeletedRows) > 0n;

export async function upsertPassword(db: Db, row: AuthPasswordsTable): Promise<void> {
  await db
    .insertInto('auth_passwords')
    .values(row)
    .onConflict((oc) =>
      oc.column('operator_id').doUpdateSet({
        hash: row.hash,
        pepper_version: row.pepper_version,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function findPassword(db: Db, tenantId: string, operatorId: string) {
  return db
    .selectFrom('auth_passwords')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
}

export async function upsertTotp(db: Db, row: AuthTotpTable): Promise<void> {
  await db
    .insertInto('auth_totp')
    .values(row)
    .onConflict((oc) =>
      oc.column('operator_id').doUpdateSet({
        seed_ct: row.seed_ct,
        last_step: row.last_step,
        confirmed_at: row.confirmed_at,
        created_at: row.created_at,
      }),
    )
    .execute();
}

export async function findTotp(db: Db, tenantId: string, operatorId: string) {
  return db
    .selectFrom('auth_totp')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
}

/**
 * Accepts time step `step` only if it is later than the last accepted one, in one statement, so two
 * concurrent requests with the same code cannot both succeed. Also confirms a pending seed.
 */
export async function advanceTotpStep(
  db: Db,
  tenantId: string,
  operatorId: string,
  step: number,
  at: string,
  confirming: boolean,
): Promise<boolean> {
  const result = await db
    .updateTable('auth_totp')
    .set(confirming ? { last_step: step, confirmed_at: at } : { last_step: step })
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
    .where('confirmed_at', confirming ? 'is' : 'is not', null)
    .executeTakeFirst();
  return changed(result);
}

export async function insertPasskey(db: Db, row: AuthPasskeysTable): Promise<void> {
  await db.insertInto('auth_passkeys').values(row).execute();
}

export async function listPasskeys(db: Db, tenantId: string, operatorId: string) {
  return db
    .selectFrom('auth_passkeys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .orderBy('created_at')
    .execute();
}

/** Stores the authenticator's new signature counter only if nobody else moved it first. */
export async function advancePasskeyCounter(
  db: Db,
  id: string,
  from: number,
  to: number,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('auth_passkeys')
    .set({ counter: to, last_used_at: at })
    .where('id', '=', id)
    .where('counter', '=', from)
    .executeTakeFirst();
  return changed(result);
}

export async function renamePasskey(db: Db, tenantId: string, operatorId: string, id: string, name: string) {
  const result = await db
    .updateTable('auth_passkeys')
    .set({ name })
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('id', '=', id)
    .executeTakeFirst();
  return changed(result);
}

export async function deletePasskey(db: Db, tenantId: string, operatorId: string, id: string) {
  const result = await db
    .deleteFrom('auth_passkeys')
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('id', '=', id)
    .executeTakeFirst();
  return changed(result);
}

/** Replaces every recovery code of an operator (the old ones stop working at once). */
export async function replaceRecoveryCodes(
  db: Db,
  tenantId: string,
  operatorId: string,
  rows: AuthRecoveryCodesTable[],
): Promise<void> {
  await db
    .deleteFrom('auth_recovery_codes')
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .execute();
  if (rows.length > 0) await db.insertInto('auth_recovery_codes').values(rows).execute();
}

/** Marks one unused code used; true only for the first request that presents it. */
export async function useRecoveryCode(
  db: Db,
  tenantId: string,
  operatorId: string,
  codeHash: Buffer,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('auth_recovery_codes')
    .set({ used_at: at })
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return changed(result);
}

export async function recoveryCodeVersions(db: Db, tenantId: string, operatorId: string) {
  const rows = await db
    .selectFrom('auth_recovery_codes')
    .select('key_version')
    .distinct()
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('used_at', 'is', null)
    .execute();
  return rows.map((r) => r.key_version);
}

/** Drops every credential of an operator (before a fresh enrollment). */
export async function deleteCredentials(db: Db, tenantId: string, operatorId: string): Promise<void> {
  for (const table of ['auth_passwords', 'auth_totp', 'auth_passkeys', 'auth_recovery_codes'] as const) {
    await db
      .deleteFrom(table)
      .where('tenant_id', '=', tenantId)
      .where('operator_id', '=', operatorId)
      .execute();
  }
}
