import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../db/database.ts';
import { deleteSpentLinks } from './collect.repository.ts';

const BATCH = 500;

/**
 * The privacy worker's clean-up of collection links: rows of used and expired links are deleted in
 * batches (each its own short statement, so a crash or a second process does no harm). Nothing
 * half-submitted is ever stored — a submission is one transaction that stores the message and uses
 * up the link — so the link rows are all there is to remove.
 * @example const removed = await sweep.run(); // links deleted
 */
export function createCollectLinkSweep(deps: { db: Db; clock: Clock }) {
  return {
    async run(): Promise<number> {
      const now = deps.clock.now().toISOString();
      let total = 0;
      for (;;) {
        const n = await deleteSpentLinks(deps.db, now, BATCH);
        total += n;
        if (n < BATCH) return total;
      }
    },
  };
}

export type CollectLinkSweep = ReturnType<typeof createCollectLinkSweep>;
