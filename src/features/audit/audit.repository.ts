import { CompiledQuery, sql } from 'kysely';
import type { Db, Dialect } from '../../db/database.ts';
import { runEach } from '../../db/each.ts';
import type {
  AuditCheckpointsTable,
  AuditEntriesTable,
  AuditHeadsTable,
  AuditNodesTable,
} from './audit.table.ts';

const INSERT_CHUNK = 200; // 16 parameters a row: well under SQLite's and PostgreSQL's limits
const UPDATE_CHUNK = 500;
const ID_LIST_CHUNK = 500; // ids per `in (…)` list: well under both databases' parameter limits

/** The columns of a pending entry (seq and hash stay null until the sequencer chains it). */
const PENDING_COLUMNS = [
  'id',
  'tenant_id',
  'time',
  'actor_type',
  'actor_id',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'reason_ct',
  'detail_ct',
  'subject_id',
  'policy_ids',
  'client_ip',
  'request_id',
  'session_id',
] as const satisfies ReadonlyArray<keyof AuditEntriesTable>;

const insertSql = new Map<string, string>();

/**
 * `insert into audit_entries (…) values (…), …` for `count` rows, built once per dialect and count.
 * Appending is the hottest write of the product: the SQL text stays the same, so SQLite reuses its
 * prepared statement and no query builder runs per entry.
 */
function insertEntriesSql(dialect: Dialect, count: number): string {
  const cacheKey = `${dialect}:${count}`;
  let text = insertSql.get(cacheKey);
  if (!text) {
    const width = PENDING_COLUMNS.length;
    const rows = Array.from({ length: count }, (_, r) => {
      const marks = PENDING_COLUMNS.map((_, c) => (dialect === 'postgres' ? `$${r * width + c + 1}` : '?'));
      return `(${marks.join(', ')})`;
    });
    text = `insert into audit_entries (${PENDING_COLUMNS.join(', ')}) values ${rows.join(', ')}`;
    insertSql.set(cacheKey, text);
  }
  return text;
}

/** Inserts pending entries (seq and hash null), in multi-row statements of up to 200 rows. */
export async function insertEntries(
  db: Db,
  dialect: Dialect,
  rows: readonly AuditEntriesTable[],
): Promise<void> {
  for (let at = 0; at < rows.length; at += INSERT_CHUNK) {
    const chunk = rows.slice(at, at + INSERT_CHUNK);
    const parameters: unknown[] = [];
    for (const row of chunk) for (const column of PENDING_COLUMNS) parameters.push(row[column]);
    await db.executeQuery(CompiledQuery.raw(insertEntriesSql(dialect, chunk.length), parameters));
  }
}

/** Tenants with entries waiting for the sequencer, or with entries not yet under a checkpoint. */
export async function tenantsWithWork(db: Db): Promise<string[]> {
  const pending = await db
    .selectFrom('audit_entries')
    .select('tenant_id')
    .distinct()
    .where('seq', 'is', null)
    .execute();
  const unsigned = await db
    .selectFrom('audit_heads')
    .select('tenant_id')
    .whereRef('size', '>', 'checkpoint_size')
    .execute();
  return [...new Set([...pending, ...unsigned].map((r) => r.tenant_id))].sort();
}

/** Every tenant that has, or should have, an audit chain. */
export async function auditTenants(db: Db): Promise<string[]> {
  const rows = await sql<{ tenant_id: string }>`
    select id as tenant_id from tenants
    union select tenant_id from audit_heads
    union select distinct tenant_id from audit_entries`.execute(db);
  return rows.rows.map((r) => r.tenant_id).sort();
}

/**
 * Makes this transaction the tenant's only sequencer. PostgreSQL: a transaction-scoped advisory lock
 * (false when another process holds it). SQLite: the caller's first write takes the database write lock.
 */
export async function tryLockTenant(trx: Db, dialect: Dialect, tenantId: string): Promise<boolean> {
  if (dialect === 'sqlite') return true;
  const { rows } = await sql<{ locked: boolean }>`
    select pg_try_advisory_xact_lock(7381, hashtext(${tenantId})) as locked`.execute(trx);
  return rows[0]?.locked === true;
}

/** Creates the head row if missing, then reads it (row-locked on PostgreSQL). */
export async function lockHead(trx: Db, dialect: Dialect, empty: AuditHeadsTable): Promise<AuditHeadsTable> {
  await trx
    .insertInto('audit_heads')
    .values(empty)
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const query = trx.selectFrom('audit_heads').selectAll().where('tenant_id', '=', empty.tenant_id);
  return (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirstOrThrow();
}

export async function findHead(db: Db, tenantId: string): Promise<AuditHeadsTable | undefined> {
  return db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

export async function saveHead(trx: Db, head: AuditHeadsTable): Promise<void> {
  await trx.updateTable('audit_heads').set(head).where('tenant_id', '=', head.tenant_id).execute();
}

/** Ids of the oldest pending entries, in id order (read from the pending index alone). */
export async function pendingIds(trx: Db, tenantId: string, limit: number): Promise<string[]> {
  const rows = await trx
    .selectFrom('audit_entries')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Pending entries by id, whole rows (those another process appended, or this one forgot). */
export async function pendingByIds(
  trx: Db,
  tenantId: string,
  ids: readonly string[],
): Promise<AuditEntriesTable[]> {
  const rows: AuditEntriesTable[] = [];
  for (let at = 0; at < ids.length; at += ID_LIST_CHUNK) {
    rows.push(
      ...(await trx
        .selectFrom('audit_entries')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', ids.slice(at, at + ID_LIST_CHUNK))
        .where('seq', 'is', null)
        .execute()),
    );
  }
  return rows;
}

export async function countPending(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('audit_entries')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const ASSIGN_ONE_SQLITE =
  'update audit_entries set seq = ?, hash = ? where id = ? and tenant_id = ? and seq is null';

/**
 * Gives pending entries their seq and hash. PostgreSQL: one `update … from (values …)` per 500 rows
 * (one round trip). SQLite: one prepared single-row update per entry, all in one call into the
 * connection (`runEach`), which in-process costs microseconds (SQLite plans the multi-row form
 * poorly: ~2 ms a row).
 */
export async function assignSequence(
  trx: Db,
  dialect: Dialect,
  tenantId: string,
  updates: ReadonlyArray<{ id: string; seq: number; hash: Buffer }>,
): Promise<void> {
  if (dialect === 'sqlite') {
    await runEach(
      trx,
      dialect,
      ASSIGN_ONE_SQLITE,
      updates.map((u) => [u.seq, u.hash, u.id, tenantId]),
    );
    return;
  }
  for (let at = 0; at < updates.length; at += UPDATE_CHUNK) {
    const values = sql.join(
      updates
        .slice(at, at + UPDATE_CHUNK)
        .map((u) => sql`(${u.id}, cast(${u.seq} as bigint), cast(${u.hash} as bytea))`),
    );
    await sql`
      with v(id, seq, hash) as (values ${values})
      update audit_entries set seq = v.seq, hash = v.hash from v
      where audit_entries.id = v.id and audit_entries.tenant_id = ${tenantId} and audit_entries.seq is null`.execute(
      trx,
    );
  }
}

export async function insertNodes(trx: Db, rows: readonly AuditNodesTable[]): Promise<void> {
  for (let at = 0; at < rows.length; at += INSERT_CHUNK) {
    await trx
      .insertInto('audit_nodes')
      .values(rows.slice(at, at + INSERT_CHUNK))
      .execute();
  }
}

export async function insertCheckpoint(trx: Db, row: AuditCheckpointsTable): Promise<void> {
  await trx.insertInto('audit_checkpoints').values(row).execute();
}

/** Sequenced entries after `afterSeq` (exclusive), in seq order. */
export async function entriesAfter(db: Db, tenantId: string, afterSeq: number, limit: number) {
  return db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export async function entryAt(db: Db, tenantId: string, seq: number) {
  return db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('seq', '=', seq)
    .executeTakeFirst();
}

export interface EntryFilter {
  actorType?: string;
  actorId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  sessionId?: string;
  from?: string;
  to?: string;
  order: 'asc' | 'desc';
  cursor?: number;
  limit: number;
}

export async function queryEntries(db: Db, tenantId: string, f: EntryFilter) {
  let q = db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is not', null);
  if (f.actorType) q = q.where('actor_type', '=', f.actorType);
  if (f.actorId) q = q.where('actor_id', '=', f.actorId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.targetType) q = q.where('target_type', '=', f.targetType);
  if (f.targetId) q = q.where('target_id', '=', f.targetId);
  if (f.sessionId) q = q.where('session_id', '=', f.sessionId);
  if (f.from) q = q.where('time', '>=', f.from);
  if (f.to) q = q.where('time', '<', f.to);
  if (f.cursor !== undefined) q = q.where('seq', f.order === 'asc' ? '>' : '<', f.cursor);
  return q.orderBy('seq', f.order).limit(f.limit).execute();
}

/** Chain hashes (= leaf hashes) of seq in [from, from + count). */
export async function leafHashes(db: Db, tenantId: string, from: number, count: number) {
  return db
    .selectFrom('audit_entries')
    .select(['seq', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('seq', '>=', from)
    .where('seq', '<', from + count)
    .orderBy('seq')
    .execute();
}

export async function nodesAt(db: Db, tenantId: string, level: number, from: number, count: number) {
  return db
    .selectFrom('audit_nodes')
    .select(['idx', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('level', '=', level)
    .where('idx', '>=', from)
    .where('idx', '<', from + count)
    .orderBy('idx')
    .execute();
}

export async function allNodes(db: Db, tenantId: string) {
  return db.selectFrom('audit_nodes').selectAll().where('tenant_id', '=', tenantId).execute();
}

export async function checkpoints(db: Db, tenantId: string, afterOrdinal = -1, limit = 1_000_000) {
  return db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('ordinal', '>', afterOrdinal)
    .orderBy('ordinal')
    .limit(limit)
    .execute();
}

export async function checkpointOfSize(db: Db, tenantId: string, treeSize: number) {
  return db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('tree_size', '=', treeSize)
    .executeTakeFirst();
}

export async function latestCheckpoint(db: Db, tenantId: string) {
  return db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('ordinal', 'desc')
    .limit(1)
    .executeTakeFirst();
}
