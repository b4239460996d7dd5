import type { Db } from './database.ts';

interface Pending<T> {
  readonly work: (trx: Db) => Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** Most pieces of work in one transaction. */
  readonly maxBatch?: number;
  /**
   * Transactions in flight at once. SQLite has one writer, so 1. On PostgreSQL a batch spends most of
   * its time waiting for round trips, and several batches on several connections overlap those waits.
   */
  readonly parallel?: number;
}

/**
 * Group commit: work submitted while a transaction is being committed waits and then runs, all
 * together, in the next single transaction. One durable commit serves many concurrent requests.
 * If a batch fails, each piece of work is retried in its own transaction so one bad request cannot
 * fail the others; every caller hears only about its own outcome, and only after its commit.
 */
export function createGroupCommitter(db: Db, options: GroupCommitOptions = {}) {
  const maxBatch = options.maxBatch ?? 200;
  const parallel = options.parallel ?? 1;
  let queue: Pending<unknown>[] = [];
  let running = 0;
  let scheduled = false;
  const counters = { transactions: 0, items: 0, fallbacks: 0 };

  async function runAlone(item: Pending<unknown>): Promise<void> {
    counters.transactions++;
    try {
      item.resolve(await db.transaction().execute((trx) => item.work(trx)));
    } catch (error) {
      item.reject(error);
    }
  }

  async function runBatch(batch: Pending<unknown>[]): Promise<void> {
    if (batch.length === 1) return runAlone(batch[0]!);
    try {
      counters.transactions++;
      const results = await db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const item of batch) out.push(await item.work(trx));
        return out;
      });
      batch.forEach((item, i) => item.resolve(results[i]));
    } catch {
      counters.fallbacks++;
      for (const item of batch) await runAlone(item);
    }
  }

  /** Starts transactions for the queued work while fewer than `parallel` are in flight. */
  function pump(): void {
    while (queue.length > 0 && running < parallel) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      counters.items += batch.length;
      running++;
      void runBatch(batch).finally(() => {
        running--;
        pump();
      });
    }
  }

  return {
    /** Transactions run, work items served, and batches that had to be retried one by one. */
    stats: () => ({ ...counters }),

    /** Runs `work` inside a shared transaction; resolves after that transaction has committed. */
    submit<T>(work: (trx: Db) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve, reject });
        // Start on the next turn of the event loop, so every request read in this turn joins the batch.
        // With every slot busy, the work waits for the next batch instead.
        if (running < parallel && !scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            pump();
          });
        }
      });
    },
  };
}

export type GroupCommitter = ReturnType<typeof createGroupCommitter>;
