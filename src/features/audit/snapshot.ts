import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import type { Db, Dialect } from '../../db/database.ts';
import * as repo from './audit.repository.ts';
import type { AuditCheckpointsTable, AuditHeadsTable, AuditNodesTable } from './audit.table.ts';
import type { ChainedEntry } from './chain.ts';

/** A stored entry as verification reads it: a tuple in COLUMN_LIST order (cheap to read in bulk). */
export type EntryTuple = readonly [
  seq: number,
  hash: Buffer | null,
  id: string,
  time: string,
  actorType: string,
  actorId: string,
  action: string,
  targetType: string,
  targetId: string,
  outcome: string,
  reasonCt: Buffer | null,
  detailCt: Buffer | null,
  subjectId: string | null,
  policyIds: string,
  clientIp: string | null,
  requestId: string | null,
];

// tenant_id is not read: the verifier puts the tenant it verifies into the recomputed hash.
const COLUMN_LIST =
  'seq, hash, id, time, actor_type, actor_id, action, target_type, target_id, outcome, ' +
  'reason_ct, detail_ct, subject_id, policy_ids, client_ip, request_id';
const COLUMNS = sql.raw(COLUMN_LIST);

/** The chained view of a stored tuple at the position, and in the tenant, the verifier expects. */
export function chainedFromTuple(t: EntryTuple, seq: number, tenantId: string): ChainedEntry {
  return {
    seq,
    id: t[2],
    tenantId,
    time: t[3],
    actorType: t[4],
    actorId: t[5],
    action: t[6],
    targetType: t[7],
    targetId: t[8],
    outcome: t[9],
    reasonCt: t[10],
    detailCt: t[11],
    subjectId: t[12],
    policyIds: t[13],
    clientIp: t[14],
    requestId: t[15],
  };
}

/** Everything verification reads, from one consistent snapshot of the database. */
export interface AuditSnapshot {
  entries(tenantId: string, afterSeq: number, limit: number): Promise<EntryTuple[]>;
  checkpoints(tenantId: string): Promise<AuditCheckpointsTable[]>;
  nodes(tenantId: string): Promise<AuditNodesTable[]>;
  head(tenantId: string): Promise<AuditHeadsTable | undefined>;
  pending(tenantId: string): Promise<number>;
}

export interface SnapshotSource {
  readonly db: Db;
  readonly dialect: Dialect;
  /** The SQLite database file, when there is one: read through its own read-only connection. */
  readonly sqliteFile?: string;
}

/**
 * Runs `fn` over one snapshot, so a sequencer working meanwhile cannot make entries, checkpoints and
 * head disagree. SQLite (file): a read-only connection of its own inside one read transaction, rows
 * as arrays (half the cost of objects), never blocking the process's writer. PostgreSQL: a
 * REPEATABLE READ transaction.
 */
export async function withSnapshot<T>(
  source: SnapshotSource,
  fn: (s: AuditSnapshot) => Promise<T>,
): Promise<T> {
  if (source.dialect === 'sqlite' && source.sqliteFile) return sqliteSnapshot(source.sqliteFile, fn);
  return source.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((trx) => fn(kyselySnapshot(trx)));
}

function kyselySnapshot(trx: Db): AuditSnapshot {
  return {
    async entries(tenantId, afterSeq, limit) {
      const { rows } = await sql<Record<string, unknown>>`
        select ${COLUMNS} from audit_entries where tenant_id = ${tenantId} and seq > ${afterSeq}
        order by seq limit ${limit}`.execute(trx);
      return rows.map((r) => Object.values(r) as unknown as EntryTuple);
    },
    checkpoints: (tenantId) => repo.checkpoints(trx, tenantId),
    nodes: (tenantId) => repo.allNodes(trx, tenantId),
    head: (tenantId) => repo.findHead(trx, tenantId),
    pending: (tenantId) => repo.countPending(trx, tenantId),
  };
}

async function sqliteSnapshot<T>(file: string, fn: (s: AuditSnapshot) => Promise<T>): Promise<T> {
  const conn = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    conn.pragma('mmap_size = 268435456');
    conn.pragma('cache_size = -65536');
    const entries = conn
      .prepare(
        `select ${COLUMN_LIST} from audit_entries where tenant_id = ? and seq > ? order by seq limit ?`,
      )
      .raw(true);
    const all = <R>(query: string) => {
      const statement = conn.prepare(query);
      return (tenantId: string) => Promise.resolve(statement.all(tenantId) as R[]);
    };
    const checkpoints = all<AuditCheckpointsTable>(
      'select * from audit_checkpoints where tenant_id = ? order by ordinal',
    );
    const nodes = all<AuditNodesTable>('select * from audit_nodes where tenant_id = ?');
    const head = all<AuditHeadsTable>('select * from audit_heads where tenant_id = ?');
    const pending = all<{ n: number }>(
      'select count(*) as n from audit_entries where tenant_id = ? and seq is null',
    );
    conn.exec('begin');
    return await fn({
      entries: (tenantId, afterSeq, limit) =>
        Promise.resolve(entries.all(tenantId, afterSeq, limit) as unknown as EntryTuple[]),
      checkpoints,
      nodes,
      head: async (tenantId) => (await head(tenantId))[0],
      pending: async (tenantId) => (await pending(tenantId))[0]?.n ?? 0,
    });
  } finally {
    conn.close();
  }
}
