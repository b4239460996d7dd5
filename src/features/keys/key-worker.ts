import type { Singleton } from '../../db/singleton.ts';
import type { Logger } from '../../lib/logger.ts';
import type { KeyProvider } from './key-provider.ts';
import type { KeyLifecycle } from './rotation.service.ts';

/** A job whose cursor has not moved for this long is taken to be orphaned (its process died). */
export const STALE_JOB_MS = 30_000;

/**
 * The server's background key work: resumes orphaned rewrap/re-encryption jobs and rotates keys that
 * are due (age or usage cap). One tick at a time; nothing runs while the vault is sealed.
 */
export function createKeyWorker(deps: {
  lifecycle: Pick<KeyLifecycle, 'resume' | 'rotateDue'>;
  provider: Pick<KeyProvider, 'isSealed'>;
  logger: Logger;
  intervalMs?: number;
  /** Several processes: the timer's tick runs in one process at a time (src/db/singleton.ts). */
  singleton?: Singleton;
}) {
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  async function tick(): Promise<void> {
    if (deps.provider.isSealed()) return;
    try {
      const rotated = await deps.lifecycle.rotateDue();
      for (const r of rotated)
        deps.logger.info(
          { tenantId: r.tenantId, purpose: r.purpose, version: r.version },
          'key rotated on schedule',
        );
      await deps.lifecycle.resume(undefined, undefined, STALE_JOB_MS);
    } catch (error) {
      deps.logger.error({ err: error }, 'key worker tick failed');
    }
  }

  return {
    start(): void {
      if (timer) return;
      timer = setInterval(() => {
        const run = () => (deps.singleton ? deps.singleton.run('key-worker', tick) : tick());
        ticking ??= run()
          .then(
            () => undefined,
            (error: unknown) => deps.logger.warn({ err: error }, 'key worker: could not take its lock'),
          )
          .finally(() => (ticking = undefined));
      }, deps.intervalMs ?? 60_000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await ticking;
    },
    tick,
  };
}
