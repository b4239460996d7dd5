import { setTimeout as sleep } from 'node:timers/promises';
import type SQLite from 'better-sqlite3';
import type { CompiledQuery, Driver, QueryResult } from 'kysely';
import { wrapExecute } from './wrap-execute.ts';

/** How long a statement waits for another process's write lock before it fails with SQLITE_BUSY. */
export const BUSY_WAIT_MS = 5000;
const MAX_PAUSE_MS = 25;

/** SQLITE_BUSY and its extended codes: another connection holds the lock this statement needs. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `attempt` again while it fails with SQLITE_BUSY, pausing without blocking (1 ms, doubling up to
 * 25 ms) until `waitMs` have passed; then the last SQLITE_BUSY error is thrown. Only for attempts that
 * change nothing when they fail busy.
 */
export async function whileBusy<T>(attempt: () => Promise<T>, waitMs: number): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() + pause > deadline) throw error;
    }
    await sleep(pause);
  }
}

/**
 * Waits for a lock held by another process (the CLI and a running server share one database file)
 * on the event loop's terms: the connection's own `busy_timeout` would block the whole process,
 * every request included, for as long as the other writer holds on. Statements outside a transaction
 * (`BEGIN IMMEDIATE` among them) are retried: failing busy, they changed nothing. Inside a
 * transaction the lock is already held; what fails there fails the transaction as before.
 * Install it before any wrapper that runs a query by other means (`runsEach`): those stay outside.
 */
export function retriesWhileBusy(driver: Driver, sqlite: SQLite.Database, waitMs: number): void {
  wrapExecute(driver, (execute) => <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    if (sqlite.inTransaction) return execute<R>(query);
    const again = async (error: unknown): Promise<QueryResult<R>> => {
      if (!isBusy(error)) throw error;
      return whileBusy(() => execute<R>(query), waitMs);
    };
    // The first attempt goes straight through, so the hot path pays no retry machinery. The
    // connection may throw synchronously as well as reject.
    try {
      return execute<R>(query).catch(again);
    } catch (error) {
      return again(error);
    }
  });
}
