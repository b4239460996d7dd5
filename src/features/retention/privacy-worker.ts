import type { Db } from '../../db/database.ts';
import type { CollectLinkSweep } from '../collect/link-sweep.ts';
import type { Logger } from '../../lib/logger.ts';
import type { DsrService } from '../dsr/dsr.service.ts';
import type { Erasure } from '../dsr/erasure.service.ts';
import type { Retention } from './retention.service.ts';

/** How often the privacy housekeeping runs in a server process. */
export const PRIVACY_INTERVAL_MS = 60 * 60_000;

/**
 * Background privacy housekeeping: finishes the row purge of erased customers, deletes expired export
 * archives and used or expired collection links, and runs (or resumes) each tenant's retention purge. Every step is idempotent and resumable,
 * so overlapping processes or a crash in the middle do no harm.
 */
export function createPrivacyWorker(deps: {
  db: Db;
  retention: Pick<Retention, 'run' | 'policy'>;
  erasure: Pick<Erasure, 'purgePending'>;
  dsr: Pick<DsrService, 'sweepExpired'>;
  collectLinks: Pick<CollectLinkSweep, 'run'>;
  logger: Logger;
}) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function tick(): Promise<void> {
    await deps.erasure.purgePending();
    await deps.dsr.sweepExpired();
    await deps.collectLinks.run();
    const tenants = await deps.db.selectFrom('tenants').select('id').execute();
    for (const { id } of tenants) {
      const p = await deps.retention.policy(id);
      if (p.messageBodyDays === null && p.mediaDays === null && p.inactiveCustomerDays === null) continue;
      await deps.retention.run(id);
    }
  }

  return {
    tick,
    start(intervalMs = PRIVACY_INTERVAL_MS): void {
      const loop = () => {
        running = tick().catch((error: unknown) => {
          deps.logger.error({ err: error }, 'privacy housekeeping failed; retried next round');
        });
        void running.then(() => {
          if (timer) timer = setTimeout(loop, intervalMs);
        });
      };
      timer = setTimeout(loop, 5_000);
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
