import { keyVersionOf, open } from '../../lib/crypto/aead.ts';
import { outboxPayloadAd } from './outbox-row.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db, Dialect } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import * as repo from './outbox.repository.ts';

export interface OutboxJob {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: string;
  readonly attempts: number;
  readonly payload: unknown;
}

/** Thrown by a handler for a failure that must not be retried. */
export class PermanentJobError extends Error {}

/** Thrown by a handler that wants to be retried after a specific delay. */
export class RetryJobError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

export type JobHandler = (job: OutboxJob) => Promise<void>;

/**
 * A claimed job is leased for this long and the lease is renewed every LEASE_RENEW_MS while it runs,
 * so a job of a process that died (kill -9, lost machine) is taken over by another within ~15 s,
 * while a slow job of a live process is never run twice.
 */
const LEASE_MS = 15_000;
const LEASE_RENEW_MS = 5_000;
const MAX_ATTEMPTS = 12;

/**
 * Runs outbox jobs after their transaction committed: claims due rows (with a lease, so a crashed
 * worker's jobs come back), decrypts the payload, runs the handler for its kind, then marks it done,
 * retries with exponential backoff, or fails it. Error texts stored are Meta codes and reasons only.
 */
export function createOutboxWorker(deps: {
  db: Db;
  dialect: Dialect;
  keyring: Pick<Keyring, 'tenantKey'>;
  clock: Clock;
  logger: Logger;
  handlers: Record<string, JobHandler>;
  batch?: number;
}) {
  const { db, clock } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function payloadOf(row: { id: string; tenant_id: string; payload_ct: Buffer }): Promise<unknown> {
    const key = await deps.keyring.tenantKey(row.tenant_id, 'restricted', keyVersionOf(row.payload_ct));
    const clear = open(key, row.payload_ct, outboxPayloadAd(row.tenant_id, row.id));
    return JSON.parse(clear.toString('utf8')) as unknown;
  }

  async function runOne(row: Awaited<ReturnType<typeof repo.claimDue>>[number]): Promise<void> {
    const now = () => clock.now().toISOString();
    const handler = deps.handlers[row.kind];
    try {
      if (!handler) throw new PermanentJobError(`no handler for ${row.kind}`);
      await handler({
        id: row.id,
        tenantId: row.tenant_id,
        kind: row.kind,
        attempts: row.attempts,
        payload: await payloadOf(row),
      });
      await repo.markDone(db, row.id, now());
    } catch (error) {
      const message = error instanceof Error ? error.message.slice(0, 300) : 'unknown error';
      if (error instanceof PermanentJobError || row.attempts >= MAX_ATTEMPTS) {
        await repo.markFailed(db, row.id, message, now());
        deps.logger.warn({ job: row.id, kind: row.kind }, `outbox job failed for good: ${message}`);
        return;
      }
      const delay =
        error instanceof RetryJobError ? error.delayMs : Math.min(3600_000, 1000 * 2 ** row.attempts);
      await repo.markRetry(db, row.id, new Date(clock.now().getTime() + delay).toISOString(), message, now());
    }
  }

  /** Runs every due job once; returns how many were claimed. */
  async function tick(): Promise<number> {
    const now = clock.now();
    const rows = await repo.claimDue(
      db,
      deps.dialect,
      now.toISOString(),
      new Date(now.getTime() + LEASE_MS).toISOString(),
      deps.batch ?? 20,
    );
    if (rows.length === 0) return 0;
    const renew = setInterval(() => {
      const at = clock.now();
      void repo
        .renewLease(
          db,
          rows.map((r) => r.id),
          new Date(at.getTime() + LEASE_MS).toISOString(),
        )
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'outbox: could not renew a lease'));
    }, LEASE_RENEW_MS);
    try {
      await Promise.all(rows.map(runOne));
    } finally {
      clearInterval(renew);
    }
    return rows.length;
  }

  return {
    tick,
    /** Polls every `intervalMs` until stopped; a tick never overlaps the previous one. */
    start(intervalMs = 250): void {
      const loop = () => {
        running = tick().catch((error: unknown) => {
          deps.logger.error({ err: error }, 'outbox tick failed');
          return 0;
        });
        void running.then(() => {
          if (timer) timer = setTimeout(loop, intervalMs);
        });
      };
      timer = setTimeout(loop, intervalMs);
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    /** Runs ticks until no job is due (tests and drills). */
    async drain(maxTicks = 100): Promise<void> {
      for (let i = 0; i < maxTicks; i++) if ((await tick()) === 0) return;
    },
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
