// SQLite query plans as a large tenant would get them: statistics of 1,000,000 rows written into
// sqlite_stat1 (what ANALYZE records on a real one), and EXPLAIN QUERY PLAN of a compiled query.
import SQLite from 'better-sqlite3';

/**
 * Replaces the statistics of `tables` by those of 1,000,000 rows: each index's `stat` line (e.g.
 * '1000000 1000000 4 2 1': one tenant, a few rows per value); unique autoindexes one row per key.
 */
export function fakeMillionRowStats(file: string, tables: readonly string[], indexStat: string): void {
  const writer = new SQLite(file);
  try {
    writer.exec('analyze');
    writer.exec('delete from sqlite_stat1');
    // ANALYZE's value samples of the few real rows would contradict the statistics written here; the
    // server drops them at open too (src/db/planner-samples.ts).
    writer.exec('delete from sqlite_stat4');
    const insert = writer.prepare('insert into sqlite_stat1 (tbl, idx, stat) values (?, ?, ?)');
    for (const table of tables) {
      const indexes = writer.prepare(`select name from pragma_index_list('${table}')`).all() as Array<{
        name: string;
      }>;
      for (const idx of indexes) {
        const columns = writer
          .prepare(`select count(*) as n from pragma_index_info('${idx.name}')`)
          .get() as {
          n: number;
        };
        const unique = ['1000000', ...Array<string>(columns.n).fill('1')].join(' ');
        insert.run(table, idx.name, idx.name.startsWith('sqlite_autoindex') ? unique : indexStat);
      }
      insert.run(table, null, '1000000');
    }
  } finally {
    writer.close();
  }
}

/** The plan of one compiled query, its steps joined by ' | '. */
export function planOf(file: string, q: { sql: string; parameters: readonly unknown[] }): string {
  const raw = new SQLite(file, { readonly: true });
  try {
    return (raw.prepare(`explain query plan ${q.sql}`).all(...q.parameters) as Array<{ detail: string }>)
      .map((p) => p.detail)
      .join(' | ');
  } finally {
    raw.close();
  }
}
