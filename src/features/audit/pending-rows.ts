import { LruMap } from '../../lib/lru-map.ts';
import type { AuditEntriesTable } from './audit.table.ts';

/** Rows kept at most; an older row is read back from the database like any other process's row. */
const PENDING_ROWS_CAPACITY = 20_000;

/**
 * The rows this process appended that the sequencer has not chained yet, by id. The sequencer still
 * learns from the database which entries are pending (only committed ones are), but hashes a row it
 * finds here without reading it back: fetching and decoding whole rows was about a quarter of the
 * chaining cost. A row is exactly what was inserted, and nothing updates a pending entry, so the
 * hash is the same; `chatvault audit verify` recomputes every hash from the stored rows regardless.
 * Rows of a transaction that rolled back are never pending, and age out (bounded, oldest first).
 */
export function createPendingRows(capacity = PENDING_ROWS_CAPACITY) {
  const rows = new LruMap<string, AuditEntriesTable>(capacity);
  return {
    /** Called after the insert succeeded, inside the caller's transaction. */
    remember(inserted: readonly AuditEntriesTable[]): void {
      for (const row of inserted) rows.set(row.id, row);
    },
    /** The row appended here under `id`, if still kept; it is forgotten either way. */
    take(id: string): AuditEntriesTable | undefined {
      return rows.delete(id);
    },
  };
}

export type PendingRows = ReturnType<typeof createPendingRows>;
