import { sql } from 'kysely';
import type { Db, Dialect } from '../../db/database.ts';
import type { KeyJobsTable, KeyPoliciesTable } from './keys.table.ts';

export async function insertJob(db: Db, row: KeyJobsTable): Promise<void> {
  await db.insertInto('key_jobs').values(row).execute();
}

export async function findJob(db: Db, id: string) {
  return db.selectFrom('key_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Jobs not finished yet, oldest first (resumed at start-up and by the worker). */
export async function runningJobs(db: Db) {
  return db
    .selectFrom('key_jobs')
    .selectAll()
    .where('status', '=', 'running')
    .orderBy('created_at')
    .execute();
}

export async function listJobs(db: Db, tenantId: string, limit = 20) {
  return db
    .selectFrom('key_jobs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

export async function updateJob(db: Db, id: string, set: Partial<KeyJobsTable>): Promise<void> {
  await db.updateTable('key_jobs').set(set).where('id', '=', id).execute();
}

export async function findPolicy(db: Db, tenantId: string, purpose: string) {
  return db
    .selectFrom('key_policies')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
}

export async function upsertPolicy(db: Db, row: KeyPoliciesTable): Promise<void> {
  await db
    .insertInto('key_policies')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'purpose']).doUpdateSet({
        min_decryption_version: row.min_decryption_version,
        rotation_days: row.rotation_days,
        max_encryptions: row.max_encryptions,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function addEncryptions(db: Db, tenantId: string, purpose: string, version: number, n: number) {
  await db
    .updateTable('tenant_keys')
    .set({ encryptions: sql<number>`encryptions + ${n}` })
    .where('tenant_id', '=', tenantId)
    .where('purpose', '=', purpose)
    .where('version', '=', version)
    .execute();
}

/** The 4-byte key-version header of an AEAD blob column (bytes 2–5), as SQL. */
export function versionHeader(dialect: Dialect, column: string) {
  return dialect === 'postgres'
    ? sql`substring(${sql.ref(column)} from 2 for 4)`
    : sql`substr(${sql.ref(column)}, 2, 4)`;
}

/** The header bytes of key version `v` (u32 big-endian). */
export function headerOf(version: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(version);
  return out;
}

/**
 * How many rows of `table` hold a blob in `column` sealed under key version `version` (read from the
 * AEAD header in SQL, so nothing is decrypted).
 */
export async function countUnderVersion(
  db: Db,
  dialect: Dialect,
  q: {
    table: 'contacts' | 'contact_keys';
    column: 'key_wrapped' | 'wrapped';
    tenantId: string;
    version: number;
  },
): Promise<number> {
  const row = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(q.table)}
    where tenant_id = ${q.tenantId} and ${versionHeader(dialect, q.column)} = ${headerOf(q.version)}`.execute(
    db,
  );
  return Number(row.rows[0]?.n ?? 0);
}
