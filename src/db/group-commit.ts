import type { Db } from './database.ts';

interface Pending<T> {
  readonly work: (trx: Db) => Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Group commit: work submitted while a transaction is being committed waits and then runs, all
 * together, in the next single transaction. One durable commit serves many concurrent requests.
 * If a batch fails, each piece of work is retried in its own transaction so one bad request cannot
 * fail the others; every caller hears only about its own outcome, and only after its commit.
 */
export function createGroupCommitter(db: Db, maxBatch = 200) {
  let queue: Pending<unknown>[] = [];
  let draining = false;
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

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        counters.items += batch.length;
        if (batch.length === 1) {
          await runAlone(batch[0]!);
          continue;
        }
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
    } finally {
      draining = false;
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
        if (!draining && !scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            void drain();
          });
        }
      });
    },
  };
}

export type GroupCommitter = ReturnType<typeof createGroupCommitter>;
