import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** How hard a key job may push, so live traffic on the same process and database keeps its latency. */
export interface Throttle {
  /** Most rows per transaction. */
  readonly batchSize: number;
  /** Rest after each batch, as a fraction of the batch's own time (1 = half duty cycle). */
  readonly restRatio: number;
  /** Minimum rest between batches (ms); the event loop always gets a turn. */
  readonly minRestMs: number;
  /**
   * Time budget of one batch (ms of work, select + crypto + write transaction): the batch size adapts
   * so a batch stays under it, and the event loop (and SQLite's one writer) is never held longer.
   * 0 = a fixed `batchSize`.
   */
  readonly sliceMs?: number;
  /**
   * Event-loop delay (ms) the job tolerates: when the loop was late by more than this since the last
   * batch (live traffic is busy), the job doubles its rest, up to `maxBackoff`×; it halves it again when
   * the loop is on time. 0 = no adaptive pacing.
   */
  readonly maxLagMs?: number;
}

/** Live traffic first: ~3 ms batches at most half the time, and backing off when the loop runs late. */
export const DEFAULT_THROTTLE: Throttle = {
  batchSize: 500,
  restRatio: 1,
  minRestMs: 1,
  sliceMs: 3,
  maxLagMs: 10,
};

/** As fast as it goes (benchmarks, maintenance windows). */
export const UNTHROTTLED: Throttle = {
  batchSize: 2_000,
  restRatio: 0,
  minRestMs: 0,
  sliceMs: 0,
  maxLagMs: 0,
};

const MAX_BACKOFF = 8;
const MIN_ROWS = 16;

/**
 * `CHATVAULT_KEY_JOB_THROTTLE`, e.g. `slice=3,lag=10,rest=1,batch=500` (any subset; the rest keeps
 * its default). Unknown names or bad numbers are refused with one line naming them.
 */
export function parseThrottle(spec: string | undefined, base: Throttle = DEFAULT_THROTTLE): Throttle {
  if (!spec?.trim()) return base;
  if (spec.trim() === 'off') return UNTHROTTLED;
  const out: { -readonly [K in keyof Throttle]-?: number } = { sliceMs: 0, maxLagMs: 0, ...base };
  const names = { slice: 'sliceMs', lag: 'maxLagMs', rest: 'restRatio', batch: 'batchSize' } as const;
  const limits = { slice: 1000, lag: 10_000, rest: 100, batch: 5_000 } as const;
  for (const part of spec.split(',')) {
    const [name, raw] = part.split('=').map((s) => s.trim()) as [string, string | undefined];
    const n = Number(raw);
    if (!(name in names) || raw === undefined || !Number.isFinite(n) || n < 0)
      throw new Error(`key job throttle: bad setting "${part.trim()}" (use slice=, lag=, rest=, batch=)`);
    const key = name as keyof typeof names;
    if (n > limits[key] || (key === 'batch' && (!Number.isInteger(n) || n < 1)))
      throw new Error(
        `key job throttle: ${name} must be ${key === 'batch' ? 'an integer from 1' : 'from 0'} to ${limits[key]}`,
      );
    out[names[key]] = n;
  }
  return out;
}

/**
 * Paces one job run: how many rows the next batch takes, and how long to rest after it. The batch size
 * follows the measured cost per row so a batch fits `sliceMs`; the rest grows while the event loop is
 * late (live requests waiting) and shrinks when it is on time.
 */
export function createPacer(throttle: Throttle) {
  const sliceMs = throttle.sliceMs ?? 0;
  const maxLagMs = throttle.maxLagMs ?? 0;
  let rows = sliceMs > 0 ? Math.min(throttle.batchSize, 32) : throttle.batchSize;
  let backoff = 1;
  let histogram: IntervalHistogram | undefined;
  if (maxLagMs > 0) {
    histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
  }

  return {
    /** Rows for the next batch. */
    rows: () => rows,

    /** After a batch of `seen` rows that took `elapsedMs`: adapt, then rest. */
    async rest(elapsedMs: number, seen: number): Promise<void> {
      if (sliceMs > 0 && seen > 0) {
        // Grow slowly (a batch that fits may be a lucky one), shrink fast; never below MIN_ROWS, so a
        // fixed cost per batch (or a busy machine) cannot starve the job.
        rows =
          elapsedMs > sliceMs
            ? Math.min(throttle.batchSize, Math.max(MIN_ROWS, Math.floor(rows * 0.7)))
            : Math.min(throttle.batchSize, Math.ceil(rows * 1.25));
      }
      if (histogram) {
        const lateMs = histogram.max / 1e6 - 5;
        backoff = lateMs > maxLagMs ? Math.min(MAX_BACKOFF, backoff * 2) : Math.max(1, backoff / 2);
      }
      const restMs = Math.max(throttle.minRestMs, elapsedMs * throttle.restRatio) * backoff;
      if (restMs > 0) await sleep(restMs);
      else await new Promise<void>((resolve) => setImmediate(resolve));
      histogram?.reset();
    },

    stop(): void {
      histogram?.disable();
    },
  };
}
