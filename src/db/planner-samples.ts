import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * Drops SQLite's per-value samples (`sqlite_stat4`), keeping its per-index statistics
 * (`sqlite_stat1`). Returns true when there were samples.
 *
 * `ANALYZE` (an operator's, or `PRAGMA optimize`) writes samples when SQLite is built with STAT4, as
 * better-sqlite3's is. With samples, SQLite plans a statement for the values bound to it, so it
 * compiles again every time a new value is bound to a sampled column: a phone lookup then recompiles
 * its whole statement on every call (measured: 8 µs for one index probe, about 60 µs for the lookup's
 * two-branch statement, against 1 µs for the probe itself). ChatVault binds blind indexes, keyed
 * identities and ids, spread evenly by construction, so no sample can choose a better plan.
 * `createDb` calls this when it opens a database; run it after an `ANALYZE` on a live connection.
 */
export async function dropValueSamples(db: Db): Promise<boolean> {
  const table = await sql<{ n: number }>`
    select count(*) as n from sqlite_schema where type = 'table' and name = 'sqlite_stat4'`.execute(db);
  if (Number(table.rows[0]?.n ?? 0) === 0) return false;
  const sample = await sql`select 1 from sqlite_stat4 limit 1`.execute(db);
  if (sample.rows.length === 0) return false;
  await sql`delete from sqlite_stat4`.execute(db);
  await sql`analyze sqlite_schema`.execute(db); // reloads the statistics this connection plans with
  return true;
}
