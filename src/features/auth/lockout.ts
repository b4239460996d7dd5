import { createHmac } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { RateLimitedError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import { normalizeEmail } from '../vault/normalize.ts';
import * as repo from './auth.repository.ts';

/**
 * Online-guessing limits (NIST SP 800-63B-4 §3.2.2): after `freeFailures` consecutive failures each
 * further attempt waits 30 s, doubling up to 1 h; at `hardStop` the account stays locked until an
 * admin clears it. Separately, `ipLimit` failures per `ipWindowSeconds` stop one address.
 */
export const LOCKOUT_POLICY = {
  freeFailures: 5,
  baseDelaySeconds: 30,
  maxDelaySeconds: 3600,
  hardStop: 100,
  ipLimit: 50,
  ipWindowSeconds: 900,
} as const;
export type LockoutPolicy = { readonly [K in keyof typeof LOCKOUT_POLICY]: number };

/** How long the next attempt must wait after `failures` consecutive failures (0 = no wait). */
export function backoffSeconds(failures: number, policy: LockoutPolicy = LOCKOUT_POLICY): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, 20);
  return Math.min(policy.baseDelaySeconds * 2 ** doublings, policy.maxDelaySeconds);
}

export class LockedOutError extends RateLimitedError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, hard: boolean) {
    super(
      hard
        ? 'Too many failed attempts: this sign-in is locked until an administrator unlocks it'
        : 'Too many failed attempts: try again later',
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface Attempt {
  readonly key: string;
  /** Consecutive failures if this attempt fails too. */
  readonly failures: number;
}

/**
 * Database-backed counters, so they survive restarts and are shared by every process. Accounts are
 * keyed by a keyed hash of tenant and e-mail (not the operator id): an unknown address is throttled
 * exactly like a real one, so lockout reveals nothing about which accounts exist.
 */
export function createLockout(deps: {
  db: Db;
  keyring: Pick<Keyring, 'indexKey'>;
  clock: Clock;
  policy?: LockoutPolicy;
}) {
  const policy = deps.policy ?? LOCKOUT_POLICY;
  const now = () => deps.clock.now();
  const later = (seconds: number) => new Date(now().getTime() + seconds * 1000).toISOString();
  const secondsUntil = (iso: string) => Math.max(1, Math.ceil((Date.parse(iso) - now().getTime()) / 1000));

  return {
    policy,

    async accountKey(tenantId: string, email: string): Promise<string> {
      const key = await deps.keyring.indexKey(tenantId, 'auth_throttle', 'email', 'exact');
      const mac = createHmac('sha256', key).update(normalizeEmail(email), 'utf8').digest('hex');
      return `acct:${tenantId}:${mac.slice(0, 32)}`;
    },

    /**
     * Counts an attempt before it is checked (so a burst of parallel guesses cannot outrun the
     * counter) and arms the wait that applies if it fails. Throws LockedOutError while blocked.
     */
    async begin(key: string): Promise<Attempt> {
      const at = now().toISOString();
      return deps.db.transaction().execute(async (trx) => {
        const failures = await repo.countAttempt(trx, key, at);
        if (failures === undefined) {
          const row = await repo.findThrottle(trx, key);
          const hard = row?.hard_locked === 1;
          throw new LockedOutError(
            hard ? policy.maxDelaySeconds : secondsUntil(row?.blocked_until ?? at),
            hard,
          );
        }
        const hard = failures >= policy.hardStop;
        const wait = backoffSeconds(failures, policy);
        if (hard || wait > 0) await repo.setBlock(trx, key, hard ? null : later(wait), hard);
        return { key, failures };
      });
    },

    /** The checked step succeeded but sign-in is not complete: this attempt was not a failure. */
    async refund(attempt: Attempt): Promise<void> {
      await repo.refundAttempt(deps.db, attempt.key, now().toISOString());
    },

    /** A full sign-in succeeded: earlier failures no longer count. */
    async reset(key: string): Promise<void> {
      await repo.deleteThrottle(deps.db, key);
    },

    /** True when this failure started the backoff or the hard stop (worth an audit event of its own). */
    engaged(attempt: Attempt): 'backoff' | 'hard' | undefined {
      if (attempt.failures === policy.hardStop) return 'hard';
      return attempt.failures === policy.freeFailures ? 'backoff' : undefined;
    },

    /** Throws when this address has failed too often in the current window. */
    async checkIp(ip: string): Promise<void> {
      const row = await repo.findThrottle(deps.db, `ip:${ip}`);
      if (!row) return;
      const windowEnd = Date.parse(row.window_start) + policy.ipWindowSeconds * 1000;
      if (row.failures >= policy.ipLimit && windowEnd > now().getTime()) {
        throw new LockedOutError(secondsUntil(new Date(windowEnd).toISOString()), false);
      }
    },

    async ipFailure(ip: string): Promise<void> {
      const key = `ip:${ip}`;
      const at = now();
      await deps.db.transaction().execute(async (trx) => {
        const row = await repo.findThrottle(trx, key);
        const fresh = !row || Date.parse(row.window_start) + policy.ipWindowSeconds * 1000 <= at.getTime();
        await repo.saveThrottle(trx, {
          key,
          failures: fresh ? 1 : row.failures + 1,
          window_start: fresh ? at.toISOString() : row.window_start,
          blocked_until: null,
          hard_locked: 0,
          updated_at: at.toISOString(),
        });
      });
    },

    /** Admin: clears the counter of one account, including a hard stop. True when there was one. */
    async clear(key: string): Promise<boolean> {
      return repo.deleteThrottle(deps.db, key);
    },
  };
}

export type Lockout = ReturnType<typeof createLockout>;
