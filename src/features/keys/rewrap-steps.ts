import { sql } from 'kysely';
import type { Clock } from '../../lib/clock.ts';
import type { Db, Dialect } from '../../db/database.ts';
import type { Keyring } from './keyring.ts';
import * as jobs from './key-jobs.repository.ts';
import type { KeyJobsTable } from './keys.table.ts';

/** One batch of a job: rows changed (or found already done) and the cursor after them; null at the end. */
export interface StepResult {
  readonly seen: number;
  readonly changed: number;
  readonly cursor: string;
}

export interface StepDeps {
  readonly db: Db;
  readonly dialect: Dialect;
  readonly keyring: Keyring;
  readonly clock: Clock;
}

type BlobTarget = { table: string; column: string; keyColumn: string; tenantId: string };

/**
 * Writes many `(key, new blob, old blob)` triples; a row whose blob changed meanwhile (a customer
 * shredded, another process faster) is left alone, so a batch can be replayed safely. PostgreSQL: one
 * `update … from (values …)`. SQLite: one keyed update per row, because SQLite's planner drives such
 * a join from the table (with a large tenant's statistics it scanned every row of the table per
 * batch: a 1M-customer rewrap stalled live requests ~40 ms a batch).
 */
export async function updateBlobs(
  trx: Db,
  dialect: Dialect,
  q: BlobTarget,
  rows: ReadonlyArray<readonly [string, Buffer, Buffer]>,
): Promise<void> {
  if (rows.length === 0) return;
  if (dialect === 'sqlite') {
    for (const [id, next, prev] of rows) await updateOneBlob(q, id, next, prev).execute(trx);
    return;
  }
  const values = sql.join(
    rows.map(([id, next, prev]) => sql`(${id}, cast(${next} as bytea), cast(${prev} as bytea))`),
  );
  const table = sql.table(q.table);
  const column = sql.ref(q.column);
  await sql`update ${table} set ${column} = v.column2 from (values ${values}) as v
    where ${table}.tenant_id = ${q.tenantId} and ${table}.${sql.ref(q.keyColumn)} = v.column1
      and ${table}.${column} = v.column3`.execute(trx);
}

/** One row of `updateBlobs` on SQLite (exported for the query-plan test). */
export function updateOneBlob(q: BlobTarget, id: string, next: Buffer, prev: Buffer) {
  const column = sql.ref(q.column);
  return sql`update ${sql.table(q.table)} set ${column} = ${next}
    where ${sql.ref(q.keyColumn)} = ${id} and tenant_id = ${q.tenantId} and ${column} = ${prev}`;
}

/**
 * The tenant's next `limit` customers after `cursor`, in id order (exported for the query-plan test).
 * It must read through the `(tenant_id, id)` index (migration 0021): sorting the whole tenant instead
 * cost ~40 ms per batch at 200,000 customers, on the event loop, whatever the batch size.
 */
export function contactsBatch(db: Db, tenantId: string, cursor: string, limit: number) {
  return db
    .selectFrom('contacts')
    .select(['id', 'key_version', 'key_wrapped'])
    .where('tenant_id', '=', tenantId)
    .where('id', '>', cursor)
    .orderBy('id')
    .limit(limit);
}

/**
 * The tenant's next `limit` retired customer keys after `cursor` (`contactId:version`), in key order
 * (exported for the query-plan test). The row-value comparison seeks the primary key to the cursor;
 * the equivalent `or` of two cases made SQLite scan the table from its start for every batch.
 */
export function retiredBatch(db: Db, tenantId: string, cursor: string, limit: number) {
  const [afterId = '', afterVersion = '0'] = cursor.split(':');
  return db
    .selectFrom('contact_keys')
    .select(['contact_id', 'version', 'wrapped', 'status'])
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb(eb.refTuple('contact_id', 'version'), '>', eb.tuple(afterId, Number(afterVersion))))
    .orderBy('contact_id')
    .orderBy('version')
    .limit(limit);
}

/** Tenant `data` rotation, phase `contacts`: the current wrapped key in each contact row. */
export async function rewrapContactsStep(
  d: StepDeps,
  job: KeyJobsTable,
  batch: number,
): Promise<StepResult | null> {
  const rows = await contactsBatch(d.db, job.tenant_id, job.cursor, batch).execute();
  if (rows.length === 0) return null;
  const target = await d.keyring.tenantKey(job.tenant_id, 'data', job.target_version);
  const updates: Array<[string, Buffer, Buffer]> = [];
  for (const r of rows) {
    if (!r.key_wrapped) continue;
    const next = await d.keyring.rewrapContactKey(job.tenant_id, r.id, r.key_version, r.key_wrapped, target);
    if (next) updates.push([r.id, next, r.key_wrapped]);
  }
  const cursor = rows.at(-1)!.id;
  await d.db.transaction().execute(async (trx) => {
    await updateBlobs(
      trx,
      d.dialect,
      { table: 'contacts', column: 'key_wrapped', keyColumn: 'id', tenantId: job.tenant_id },
      updates,
    );
    await jobs.addEncryptions(trx, job.tenant_id, 'data', job.target_version, updates.length);
    await advance(trx, job, cursor, rows.length, d);
  });
  return { seen: rows.length, changed: updates.length, cursor };
}

/** Tenant `data` rotation, phase `contact_keys`: retired customer key versions. Cursor `contactId:version`. */
export async function rewrapRetiredStep(
  d: StepDeps,
  job: KeyJobsTable,
  batch: number,
): Promise<StepResult | null> {
  const rows = await retiredBatch(d.db, job.tenant_id, job.cursor, batch).execute();
  if (rows.length === 0) return null;
  const target = await d.keyring.tenantKey(job.tenant_id, 'data', job.target_version);
  let changed = 0;
  const last = rows.at(-1)!;
  const cursor = `${last.contact_id}:${last.version}`;
  const updates: Array<{ id: string; version: number; next: Buffer; prev: Buffer }> = [];
  for (const r of rows) {
    if (r.status === 'destroyed' || r.wrapped.length === 0) continue;
    const next = await d.keyring.rewrapContactKey(job.tenant_id, r.contact_id, r.version, r.wrapped, target);
    if (next) updates.push({ id: r.contact_id, version: r.version, next, prev: r.wrapped });
  }
  await d.db.transaction().execute(async (trx) => {
    for (const u of updates) {
      const res = await trx
        .updateTable('contact_keys')
        .set({ wrapped: u.next })
        .where('contact_id', '=', u.id)
        .where('version', '=', u.version)
        .where('wrapped', '=', u.prev)
        .executeTakeFirst();
      changed += Number(res.numUpdatedRows);
    }
    await jobs.addEncryptions(trx, job.tenant_id, 'data', job.target_version, changed);
    await advance(trx, job, cursor, rows.length, d);
  });
  return { seen: rows.length, changed, cursor };
}

/** Root rotation: every tenant key (all tenants) re-wrapped under the new root version. */
export async function rewrapTenantKeysStep(
  d: StepDeps & { rootVersion: number },
  job: KeyJobsTable,
  batch: number,
): Promise<StepResult | null> {
  const rows = await d.db
    .selectFrom('tenant_keys')
    .select(['tenant_id', 'purpose', 'version', 'wrapped', 'status'])
    .orderBy('tenant_id')
    .orderBy('purpose')
    .orderBy('version')
    .execute();
  const after = rows.filter((r) => keyOf(r) > job.cursor).slice(0, batch);
  if (after.length === 0) return null;
  const updates = after.flatMap((r) => {
    if (r.status === 'destroyed' || r.wrapped.length === 0) return [];
    const next = d.keyring.rewrapTenantKey(r.tenant_id, r.purpose, r.version, r.wrapped, d.rootVersion);
    return next ? [{ ...r, next }] : [];
  });
  const cursor = keyOf(after.at(-1)!);
  await d.db.transaction().execute(async (trx) => {
    for (const u of updates) {
      await trx
        .updateTable('tenant_keys')
        .set({ wrapped: u.next })
        .where('tenant_id', '=', u.tenant_id)
        .where('purpose', '=', u.purpose)
        .where('version', '=', u.version)
        .where('wrapped', '=', u.wrapped)
        .execute();
    }
    await advance(trx, job, cursor, after.length, d);
  });
  return { seen: after.length, changed: updates.length, cursor };
}

const keyOf = (r: { tenant_id: string; purpose: string; version: number }) =>
  `${r.tenant_id}|${r.purpose}|${String(r.version).padStart(10, '0')}`;

/** Moves the job's cursor in the same transaction as the rows it covers: a crash loses no progress. */
export async function advance(
  trx: Db,
  job: KeyJobsTable,
  cursor: string,
  n: number,
  d: Pick<StepDeps, 'clock'>,
) {
  job.cursor = cursor;
  job.done += n;
  job.updated_at = d.clock.now().toISOString();
  await jobs.updateJob(trx, job.id, { cursor, done: job.done, updated_at: job.updated_at });
}
