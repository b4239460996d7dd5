import type { Db, Dialect } from '../../db/database.ts';

/**
 * Claims up to `limit` due jobs for `leaseMs`: pending ones, and running ones whose lease expired (a
 * worker died). PostgreSQL uses `FOR UPDATE SKIP LOCKED` so several processes never claim one job.
 */
export async function claimDue(db: Db, dialect: Dialect, now: string, leaseUntil: string, limit: number) {
  return db
    .updateTable('outbox')
    .set((eb) => ({
      status: 'running',
      next_attempt_at: leaseUntil,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', (eb) => {
      const due = eb
        .selectFrom('outbox')
        .select('id')
        .where('status', 'in', ['pending', 'running'])
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit);
      return dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
}

/** Pushes back the lease of jobs this process is still running (the others are left alone). */
export async function renewLease(db: Db, ids: readonly string[], leaseUntil: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox')
    .set({ next_attempt_at: leaseUntil })
    .where('id', 'in', ids)
    .where('status', '=', 'running')
    .execute();
}

export async function markDone(db: Db, id: string, now: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'done', last_error: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function markRetry(db: Db, id: string, at: string, error: string, now: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'pending', next_attempt_at: at, last_error: error, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function markFailed(db: Db, id: string, error: string, now: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'failed', last_error: error, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function countByStatus(db: Db, kind: string) {
  return db
    .selectFrom('outbox')
    .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('kind', '=', kind)
    .groupBy('status')
    .execute();
}
