import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Database, Db, Dialect } from './database.ts';
import { migrations } from './migrations/index.ts';
import { LruMap } from '../lib/lru-map.ts';
import { BUSY_WAIT_MS, retriesWhileBusy } from './busy-retry.ts';
import { runsEach } from './each.ts';
import { wrapExecute } from './wrap-execute.ts';
import { dropValueSamples } from './planner-samples.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from './wal-checkpointer.ts';
import { createWalSync, type WalSync } from './wal-sync.ts';
import { ScopedPostgresIntrospector } from './scoped-introspector.ts';

export interface DbHandle {
  readonly db: Db;
  /** The PostgreSQL schema in use, when one is configured. */
  readonly schema?: string;
  /**
   * A handle for reads that must not wait for the caller's transaction, such as loading a key while a
   * transaction is open (SQLite has one connection per handle, so the same handle would deadlock).
   * On SQLite it is a second connection (WAL lets it read while a writer works); on PostgreSQL the pool.
   */
  readonly reader: Db;
  readonly dialect: Dialect;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** How long SQLite itself may block the event loop waiting for a lock before busy-retry.ts takes over. */
const BLOCKING_BUSY_WAIT_MS = 2;

// pg returns int8 as string by default; ChatVault's integers fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Opens the configured database: better-sqlite3 in WAL mode for the embedded default, or a pg pool.
 * With a PostgreSQL schema configured, the schema is created if missing and put first on the search path.
 */
export async function createDb(
  config: Pick<Config, 'database'>,
  options: { readonly busyWaitMs?: number } = {},
): Promise<DbHandle> {
  const target = config.database;
  if (target.kind === 'sqlite') {
    if (target.file !== ':memory:') fs.mkdirSync(path.dirname(target.file), { recursive: true, mode: 0o700 });
    // A commit is on disk before its caller hears of it, so an acknowledged webhook survives a power
    // cut, not only a crash: SQLite writes the WAL (NORMAL) and the caller awaits an fdatasync of it
    // on the thread pool (wal-sync.ts) instead of SQLite's FULL fsync stalling the event loop.
    // Group commit pays one sync per batch, not per message. In-memory databases have nothing to sync.
    const wal = target.file === ':memory:' ? undefined : createWalSync(`${target.file}-wal`);
    const open = () => {
      const sqlite = withStatementCache(new SQLite(target.file));
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
      sqlite.pragma('foreign_keys = ON');
      // SQLite's own wait for a lock blocks the event loop: kept to a blink, longer waits are
      // asynchronous (busy-retry.ts).
      sqlite.pragma(`busy_timeout = ${BLOCKING_BUSY_WAIT_MS}`);
      sqlite.pragma('cache_size = -65536'); // 64 MiB page cache
      sqlite.pragma('mmap_size = 268435456');
      sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      return new Kysely<Database>({
        dialect: new ImmediateSqliteDialect(
          { database: sqlite },
          sqlite,
          wal,
          options.busyWaitMs ?? BUSY_WAIT_MS,
        ),
      });
    };
    const db = open();
    // Before the reader connection loads them (planner-samples.ts). Only speed depends on it: a
    // database another process holds locked, or a read-only one, keeps its samples.
    await dropValueSamples(db).catch(() => false);
    if (target.file === ':memory:') return handle(db, 'sqlite', db);
    const checkpointer = startWalCheckpointer(target.file);
    const base = handle(db, 'sqlite', open());
    return {
      ...base,
      async close() {
        await checkpointer.stop();
        await base.close();
        await wal?.close();
      },
    };
  }
  if (target.schema) {
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists "${target.schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    max: 10,
    // An unreachable server fails the request (503) instead of hanging it.
    connectionTimeoutMillis: 5000,
    options: target.schema ? `-c search_path="${target.schema}"` : undefined,
  });
  // A dropped connection must not crash the process; the next query reports the outage.
  pool.on('error', () => undefined);
  // The pool listens for errors only on idle clients: one checked out (a transaction between two
  // statements) that loses its server would emit an unhandled 'error' and kill the process. Its
  // query in flight, or the next, fails instead (503), and the pool discards the broken client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new ScopedPostgresDialect({ pool }) });
  return { ...handle(db, 'postgres', db), schema: target.schema };
}

/** PostgreSQL, introspecting only the schemas on our search path (see ScopedPostgresIntrospector). */
class ScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new ScopedPostgresIntrospector(db);
  }
}

/**
 * Transactions take SQLite's write lock when they begin (`BEGIN IMMEDIATE`). A deferred transaction
 * that reads first and writes later cannot wait for another process's writer: SQLite answers
 * "database is locked" at once. Taking the lock up front lets the writers queue (the CLI and a
 * running server share one database file): `BEGIN IMMEDIATE` is retried while busy, up to
 * `busyWaitMs`, without blocking the event loop (busy-retry.ts).
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly sqlite: SQLite.Database,
    private readonly wal: WalSync | undefined,
    private readonly busyWaitMs: number,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    retriesWhileBusy(driver, this.sqlite, this.busyWaitMs);
    runsEach(driver, this.sqlite);
    if (this.wal) awaitDurability(driver, this.sqlite, this.wal);
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    // On a full disk or an I/O error SQLite rolls the transaction back itself; the ROLLBACK that
    // follows must not replace the real error (SQLITE_FULL → 503) with "no transaction is active".
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      try {
        await rollback(connection);
      } catch (error) {
        if (!(error instanceof Error && /no transaction is active/.test(error.message))) throw error;
      }
    };
    return driver;
  }
}

/**
 * Whoever used the connection to write waits, after releasing it, for the WAL to be on disk: the
 * next transaction takes the connection meanwhile. A write is any statement SQLite does not call
 * read-only (transaction control counts as read-only; the writes inside the transaction mark it).
 */
function awaitDurability(driver: Driver, sqlite: SQLite.Database, wal: WalSync): void {
  let wrote = false;
  wrapExecute(driver, (execute) => async <R>(query: CompiledQuery) => {
    const result = await execute<R>(query);
    if (!sqlite.prepare(query.sql).readonly) wrote = true;
    return result;
  });
  const release = driver.releaseConnection.bind(driver);
  driver.releaseConnection = async (connection: DatabaseConnection) => {
    const mustSync = wrote;
    wrote = false;
    await release(connection);
    if (mustSync) await wal.sync();
  };
}

/**
 * Kysely prepares every query afresh; compiling SQL costs SQLite more than running a point lookup.
 * Prepared statements are cached by SQL text (bounded), so the hot queries are compiled once.
 */
function withStatementCache(sqlite: SQLite.Database, capacity = 500): SQLite.Database {
  const cache = new LruMap<string, SQLite.Statement>(capacity);
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (source: string) => {
        let statement = cache.get(source);
        if (!statement) {
          statement = prepare(source);
          cache.set(source, statement);
        }
        return statement;
      };
    },
  });
}

function handle(db: Db, dialect: Dialect, reader: Db): DbHandle {
  return {
    db,
    reader,
    dialect,
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (reader !== db) await reader.destroy();
      await db.destroy();
    },
  };
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(handle: DbHandle): Promise<void> {
  const all = migrations(handle.dialect);
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: () => Promise.resolve(all) },
    // Kysely looks for its own tables in every schema unless told which one is ours.
    ...(handle.schema ? { migrationTableSchema: handle.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `Database migration ${failed} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
  }
}
