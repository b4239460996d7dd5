import { createHash } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { RateLimitedError } from '../../lib/errors.ts';

/** One fixed-window limit: at most `max` requests per `windowMs`. */
export interface WindowLimit {
  readonly max: number;
  readonly windowMs: number;
}

/**
 * Per client address: the page itself is four requests (HTML, script, stylesheet, form) plus the
 * submit, so 120 a minute leaves room for many customers behind one NAT while stopping a flood.
 */
export const PER_IP: WindowLimit = { max: 120, windowMs: 60_000 };
/** Per link token: a customer loads and submits a link a handful of times; 30 in 10 minutes is ample. */
export const PER_TOKEN: WindowLimit = { max: 30, windowMs: 10 * 60_000 };
/** Counters kept at most; past this, windows that have ended are dropped (then, if need be, all). */
const MAX_KEYS = 50_000;

/** Thrown when a limit is hit: carries how long the caller should wait (the `Retry-After` header). */
export class CollectRateLimitedError extends RateLimitedError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Rate limits of the public collection page, in memory per process: fixed windows per client address
 * and per link token. Tokens are kept only as a truncated SHA-256, never as given.
 * @example limiter.check(request.ip, token) // throws CollectRateLimitedError when over a limit
 */
export function createCollectLimiter(deps: { clock: Clock; perIp?: WindowLimit; perToken?: WindowLimit }) {
  const perIp = deps.perIp ?? PER_IP;
  const perToken = deps.perToken ?? PER_TOKEN;
  const windows = new Map<string, { n: number; until: number }>();

  function prune(now: number): void {
    if (windows.size < MAX_KEYS) return;
    for (const [key, w] of windows) if (w.until <= now) windows.delete(key);
    if (windows.size >= MAX_KEYS) windows.clear();
  }

  /** Counts one request under `key`; the seconds to wait when it is over the limit, else 0. */
  function hit(key: string, limit: WindowLimit, now: number): number {
    const w = windows.get(key);
    if (!w || w.until <= now) {
      prune(now);
      windows.set(key, { n: 1, until: now + limit.windowMs });
      return 0;
    }
    w.n++;
    return w.n > limit.max ? Math.max(1, Math.ceil((w.until - now) / 1000)) : 0;
  }

  return {
    /** Counts a request from `ip` (and for `token`, when it carries one); throws when over a limit. */
    check(ip: string, token: string | undefined): void {
      const now = deps.clock.now().getTime();
      const ipWait = hit(`ip:${ip}`, perIp, now);
      if (ipWait > 0)
        throw new CollectRateLimitedError(
          `Too many requests from this address; try again in ${ipWait} seconds`,
          ipWait,
        );
      if (token === undefined) return;
      const digest = createHash('sha256').update(token, 'utf8').digest('base64url').slice(0, 22);
      const tokenWait = hit(`tk:${digest}`, perToken, now);
      if (tokenWait > 0)
        throw new CollectRateLimitedError(
          `Too many attempts with this link; try again in ${tokenWait} seconds`,
          tokenWait,
        );
    },
  };
}

export type CollectLimiter = ReturnType<typeof createCollectLimiter>;
