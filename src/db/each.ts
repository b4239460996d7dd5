import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Driver, type QueryResult } from 'kysely';
import { wrapExecute } from './wrap-execute.ts';
import type { Db, Dialect } from './database.ts';

/** The parameter sets of a {@link runEach} query: its only parameter, recognised by the connection. */
class ParameterSets {
  constructor(readonly sets: ReadonlyArray<readonly unknown[]>) {}
}

/**
 * Runs one statement (`sql`, with the dialect's own placeholders: `?` on SQLite, `$1…` on
 * PostgreSQL) once per parameter set, through `db` (use a transaction: the sets apply together or
 * not at all), and returns the rows changed. On SQLite the whole batch is one call into the
 * connection, which runs the prepared statement for each set synchronously: one await in all
 * instead of one per row, which on a loop of small updates costs more than SQLite's own work. On
 * PostgreSQL one query per set.
 */
export async function runEach(
  db: Db,
  dialect: Dialect,
  sql: string,
  sets: ReadonlyArray<readonly unknown[]>,
): Promise<bigint> {
  if (sets.length === 0) return 0n;
  if (dialect === 'sqlite') {
    const result = await db.executeQuery(CompiledQuery.raw(sql, [new ParameterSets(sets)]));
    return result.numAffectedRows ?? 0n;
  }
  let changed = 0n;
  for (const set of sets)
    changed += (await db.executeQuery(CompiledQuery.raw(sql, [...set]))).numAffectedRows ?? 0n;
  return changed;
}

/** Teaches the driver's better-sqlite3 connections to run {@link runEach} queries (create-db.ts). */
export function runsEach(driver: Driver, sqlite: SQLite.Database): void {
  wrapExecute(driver, (execute) => async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    const only = query.parameters[0];
    if (query.parameters.length !== 1 || !(only instanceof ParameterSets)) return execute<R>(query);
    const statement = sqlite.prepare(query.sql);
    let changed = 0;
    for (const set of only.sets) changed += statement.run(...set).changes;
    return { rows: [], numAffectedRows: BigInt(changed) };
  });
}
