import type { Db } from '../../db/database.ts';
import type {
  AuthEnrollmentsTable,
  AuthSessionsTable,
  AuthSettingsTable,
  AuthThrottleTable,
  SessionKind,
} from './auth.table.ts';

const updated = (r: { numUpdatedRows: bigint } | undefined) => r !== undefined && r.numUpdatedRows > 0n;

export async function insertSession(db: Db, row: AuthSessionsTable): Promise<void> {
  await db.insertInto('auth_sessions').values(row).execute();
}

export async function findSessionByHash(db: Db, idHash: Buffer) {
  return db.selectFrom('auth_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function findSessionById(db: Db, id: string) {
  return db
    .selectFrom('auth_sessions')
    .select(['revoked_at', 'expires_at', 'last_seen_at', 'idle_seconds'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function updateSession(
  db: Db,
  id: string,
  set: Partial<Omit<AuthSessionsTable, 'id' | 'tenant_id' | 'operator_id'>>,
): Promise<void> {
  await db.updateTable('auth_sessions').set(set).where('id', '=', id).execute();
}

/** Takes the pending WebAuthn challenge of a session; only one caller ever gets it. */
export async function takeChallenge(db: Db, id: string, challenge: string): Promise<boolean> {
  const result = await db
    .updateTable('auth_sessions')
    .set({ challenge: null, challenge_at: null })
    .where('id', '=', id)
    .where('challenge', '=', challenge)
    .executeTakeFirst();
  return updated(result);
}

/** Revokes one session of an operator; false when it was not theirs or already over. */
export async function revokeSession(db: Db, tenantId: string, operatorId: string, id: string, at: string) {
  const result = await db
    .updateTable('auth_sessions')
    .set({ revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return updated(result);
}

/** Revokes every live session (of every kind) of an operator, except `exceptId`; returns how many. */
export async function revokeSessions(
  db: Db,
  tenantId: string,
  operatorId: string,
  at: string,
  exceptId?: string,
): Promise<number> {
  let query = db
    .updateTable('auth_sessions')
    .set({ revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listLiveSessions(
  db: Db,
  tenantId: string,
  operatorId: string,
  kind: SessionKind,
  at: string,
) {
  return db
    .selectFrom('auth_sessions')
    .select([
      'id',
      'created_at',
      'last_seen_at',
      'expires_at',
      'mfa_verified_at',
      'mfa_method',
      'idle_seconds',
    ])
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('kind', '=', kind)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .orderBy('created_at')
    .execute();
}

/** Drops sessions that ended more than a day ago (expired or revoked): they prove nothing any more. */
export async function purgeSessions(db: Db, before: string): Promise<void> {
  await db
    .deleteFrom('auth_sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
    .execute();
}

export async function insertEnrollment(db: Db, row: AuthEnrollmentsTable): Promise<void> {
  await db.insertInto('auth_enrollments').values(row).execute();
}

/** Uses an enrollment link: only the first request within its lifetime gets the row back. */
export async function consumeEnrollment(db: Db, tokenHash: Buffer, at: string) {
  return db
    .updateTable('auth_enrollments')
    .set({ used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returningAll()
    .executeTakeFirst();
}

/** Makes every unused enrollment link of an operator useless (a new one replaces them). */
export async function retireEnrollments(db: Db, tenantId: string, operatorId: string, at: string) {
  await db
    .updateTable('auth_enrollments')
    .set({ used_at: at })
    .where('tenant_id', '=', tenantId)
    .where('operator_id', '=', operatorId)
    .where('used_at', 'is', null)
    .execute();
}

export async function findThrottle(db: Db, key: string) {
  return db.selectFrom('auth_throttle').selectAll().where('key', '=', key).executeTakeFirst();
}

export async function saveThrottle(db: Db, row: AuthThrottleTable): Promise<void> {
  await db
    .insertInto('auth_throttle')
    .values(row)
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: row.failures,
        window_start: row.window_start,
        blocked_until: row.blocked_until,
        hard_locked: row.hard_locked,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

/**
 * Counts one more attempt against an account, atomically, unless it is blocked at `at`. Returns the
 * new count, or undefined when the account is blocked (the row lock serialises concurrent attempts).
 */
export async function countAttempt(db: Db, key: string, at: string): Promise<number | undefined> {
  const row = await db
    .insertInto('auth_throttle')
    .values({ key, failures: 1, window_start: at, blocked_until: null, hard_locked: 0, updated_at: at })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet((eb) => ({ failures: eb('auth_throttle.failures', '+', 1), updated_at: at }))
        .where('auth_throttle.hard_locked', '=', 0)
        .where((eb) =>
          eb.or([eb('auth_throttle.blocked_until', 'is', null), eb('auth_throttle.blocked_until', '<=', at)]),
        ),
    )
    .returning('failures')
    .executeTakeFirst();
  return row?.failures;
}

/** Takes back one counted attempt (it turned out not to be a failure) and lifts the armed wait. */
export async function refundAttempt(db: Db, key: string, at: string): Promise<void> {
  await db
    .updateTable('auth_throttle')
    .set((eb) => ({ failures: eb('failures', '-', 1), blocked_until: null, updated_at: at }))
    .where('key', '=', key)
    .where('failures', '>', 0)
    .where('hard_locked', '=', 0)
    .execute();
}

export async function setBlock(db: Db, key: string, blockedUntil: string | null, hard: boolean) {
  await db
    .updateTable('auth_throttle')
    .set({ blocked_until: blockedUntil, hard_locked: hard ? 1 : 0 })
    .where('key', '=', key)
    .execute();
}

export async function deleteThrottle(db: Db, key: string): Promise<boolean> {
  const result = await db.deleteFrom('auth_throttle').where('key', '=', key).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function findSettings(db: Db, tenantId: string) {
  return db.selectFrom('auth_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

export async function saveSettings(db: Db, row: AuthSettingsTable): Promise<void> {
  await db
    .insertInto('auth_settings')
    .values(row)
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({
        idle_timeout_s: row.idle_timeout_s,
        absolute_timeout_s: row.absolute_timeout_s,
        require_passkey_admins: row.require_passkey_admins,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}
