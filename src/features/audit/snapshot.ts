import SQLite from 'better-sqlite3';
import { sql, type RawBuilder } from 'kysely';
import type { Db, Dialect } from '../../db/database.ts';
import * as repo from './audit.repository.ts';
import type { AuditCheckpointsTable, AuditHeadsTable, AuditNodesTable } from './audit.table.ts';
import type { ChainedEntryHex } from './chain.ts';

/**
 * A stored entry as verification reads it: a tuple in column order, hashes and ciphertexts as hex
 * text (no Buffer per row). A missing hash reads as null or ''.
 */
export type EntryTuple = readonly [
  seq: number,
  hashHex: string | null,
  id: string,
  time: string,
  actorType: string,
  actorId: string,
  action: string,
  targetType: string,
  targetId: string,
  outcome: string,
  reasonCtHex: string | null,
  detailCtHex: string | null,
  subjectId: string | null,
  policyIds: string,
  clientIp: string | null,
  requestId: string | null,
  sessionId: string | null,
];

// tenant_id is not read: the verifier puts the tenant it verifies into the recomputed hash.
const TAIL_COLUMNS =
  'id, time, actor_type, actor_id, action, target_type, target_id, outcome, %reason, %detail, ' +
  'subject_id, policy_ids, client_ip, request_id, session_id';
const SQLITE_COLUMNS =
  'seq, lower(hex(hash)), ' +
  TAIL_COLUMNS.replace('%reason', 'iif(reason_ct is null, null, hex(reason_ct))').replace(
    '%detail',
    'iif(detail_ct is null, null, hex(detail_ct))',
  );
const POSTGRES_COLUMNS = sql.raw(
  "seq, encode(hash, 'hex') as hash, " +
    TAIL_COLUMNS.replace('%reason', "encode(reason_ct, 'hex') as reason_ct").replace(
      '%detail',
      "encode(detail_ct, 'hex') as detail_ct",
    ),
);
const PAGE = 10_000;

/** The chained view of a stored tuple at the position, and in the tenant, the verifier expects. */
export function chainedFromTuple(t: EntryTuple, seq: number, tenantId: string): ChainedEntryHex {
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
    reasonCtHex: t[10],
    detailCtHex: t[11],
    subjectId: t[12],
    policyIds: t[13],
    clientIp: t[14],
    requestId: t[15],
    sessionId: t[16],
  };
}

/** Everything verification reads, from one consistent snapshot of the database. */
export interface AuditSnapshot {
  /**
   * Calls `visit` for each chained entry (seq not null) of the tenant in stored seq order; a throw
   * from `visit` stops the scan. Rows stream: memory stays flat for any log size.
   */
  scanEntries(tenantId: string, visit: (row: EntryTuple) => void): Promise<void>;
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
 * head disagree. SQLite (file): a read-only connection of its own inside one read transaction, entries
 * streamed as arrays of text (hashes and ciphertexts as hex: no Buffer per row), never blocking the
 * process's writer. PostgreSQL: a REPEATABLE READ transaction.
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
    async scanEntries(tenantId, visit) {
      // Keyset pages; the first has no lower bound, so even a negative seq is seen (and reported).
      for (let after: number | null = null; ;) {
        const from: RawBuilder<unknown> = after === null ? sql`` : sql`and seq > ${after}`;
        const { rows }: { rows: Record<string, unknown>[] } = await sql<Record<string, unknown>>`
          select ${POSTGRES_COLUMNS} from audit_entries
          where tenant_id = ${tenantId} and seq is not null ${from}
          order by seq limit ${PAGE}`.execute(trx);
        for (const r of rows) visit(Object.values(r) as unknown as EntryTuple);
        if (rows.length < PAGE) return;
        after = Number(rows.at(-1)!.seq);
      }
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
    conn.pragma(`mmap_size = ${2 ** 31}`); // the whole file mapped: a verify reads every page once
    conn.pragma('cache_size = -65536');
    const entries = conn
      .prepare(
        `select ${SQLITE_COLUMNS} from audit_entries where tenant_id = ? and seq is not null order by seq`,
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
      scanEntries(tenantId, visit) {
        for (const row of entries.iterate(tenantId)) visit(row as EntryTuple);
        return Promise.resolve();
      },
      checkpoints,
      nodes,
      head: async (tenantId) => (await head(tenantId))[0],
      pending: async (tenantId) => (await pending(tenantId))[0]?.n ?? 0,
    });
  } finally {
    conn.close();
  }
}
